"""speakers.folded_names: a save that names its speaker finds the entry in SQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08

A claim save that names its speaker read every live entry's name and aliases and folded them in
Python, then loaded the match: two statements and a loop over the registry on every save. Each
entry now stores its name and aliases folded, one per line (``app.domain.names.folded_name_list``,
kept in step by the model's listeners), and the save asks for the entries whose list holds the
folded name. Existing entries are folded here with that same function.
"""

import json

from alembic import op
import sqlalchemy as sa

from app.domain.names import folded_name_list


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('speakers', sa.Column('folded_names', sa.Text(), server_default='', nullable=False))
    speakers = sa.table('speakers', sa.column('id', sa.Integer), sa.column('name', sa.String),
                        sa.column('aliases', sa.Text), sa.column('folded_names', sa.Text))
    connection = op.get_bind()
    # The aliases as stored text (PostgreSQL's driver would parse a json column itself).
    rows = connection.execute(sa.select(speakers.c.id, speakers.c.name, sa.cast(speakers.c.aliases, sa.Text))).all()
    if rows:
        connection.execute(
            sa.update(speakers).where(speakers.c.id == sa.bindparam('speaker_id'))
            .values(folded_names=sa.bindparam('speaker_names')),
            [{'speaker_id': speaker_id, 'speaker_names': folded_name_list(name, json.loads(aliases) if aliases else None)}
             for speaker_id, name, aliases in rows],
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL), as in 0005.
    op.execute('ALTER TABLE speakers DROP COLUMN folded_names')
