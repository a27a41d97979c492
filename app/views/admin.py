"""Site administration: users."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.errors import DomainError, NotFound
from app.forms import NewUserForm
from app.security import acting_user
from app.services import users as user_service
from app.views.common import session

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> str | Response | tuple[str, int]:
    actor = acting_user()
    if actor is None or not actor.is_admin:
        raise NotFound()
    form = NewUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = user_service.create_user(session(), form.username.data or "", form.password.data or "",
                                            is_admin=bool(form.is_admin.data), actor=actor)
        except DomainError as exc:
            getattr(form, exc.field if exc.field in ("username", "password") else "username").errors = [exc.message]
            status = 422
        else:
            session().commit()
            flash(f"Created {user.username}.")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/users.html", form=form, users=user_service.list_users(session())), status
