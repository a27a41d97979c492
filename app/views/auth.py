"""Log in, log out, change password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.errors import DomainError
from app.forms import LoginForm, PasswordForm
from app.security import SessionUser, acting_user, is_safe_next, limiter
from app.services import users as user_service
from app.views.common import session

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Wrong user name or password."


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]  # type: ignore[no-any-return]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        user = user_service.authenticate(session(), form.username.data or "", form.password.data or "")
        if user is not None:
            next_page = request.args.get("next")
            # A fresh session at login: nothing set before it (fixation) survives.
            cookie_session.clear()
            login_user(SessionUser(user))
            return redirect(next_page if is_safe_next(next_page) else url_for("projects.index"))
        form.password.errors = [LOGIN_FAILED]
    status = 401 if form.is_submitted() and form.errors else 200
    return render_template("auth/login.html", form=form), status  # type: ignore[return-value]


@bp.post("/logout")
def logout() -> Response:
    user = acting_user()
    if user is not None:
        # Server-side revocation: the old cookie stops working even if someone copied it.
        user_service.end_all_sessions(session(), user)
        session().commit()
    logout_user()
    cookie_session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    user = acting_user()
    assert user is not None
    form = PasswordForm()
    if form.validate_on_submit():
        if user_service.authenticate(session(), user.username, form.current.data or "") is None:
            form.current.errors = ["That is not your current password."]
        else:
            try:
                user_service.change_password(session(), user, form.new.data or "", user)
            except DomainError as exc:
                form.new.errors = [exc.message]
            else:
                session().commit()
                login_user(SessionUser(user))  # this browser stays logged in; others are logged out
                flash("Password changed. Other sessions were logged out.")
                return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)
