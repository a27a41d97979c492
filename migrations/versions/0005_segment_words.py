"""segment word counts: claim_segments.words, so the sourcing balance sums quoted words in SQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

The balance of a 10,000-article project read every segment's text to split it in Python (1.6 s
for 100,000 claims); the count is now stored when the text is written (``ClaimSegment.text``'s
validator) and summed by the database from an index that covers it. Existing rows are counted here with the same rule as
``app.domain.balance.word_count`` (``len(text.split())``), a batch of ids at a time.
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column('claim_segments', sa.Column('words', sa.Integer(), server_default='0', nullable=False))
    segments = sa.table('claim_segments', sa.column('id', sa.Integer), sa.column('text', sa.Text),
                        sa.column('words', sa.Integer))
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(sa.select(segments.c.id, segments.c.text).where(segments.c.id > last_id)
                                  .order_by(segments.c.id).limit(BATCH)).all()
        if not rows:
            break
        last_id = rows[-1].id
        connection.execute(
            sa.update(segments).where(segments.c.id == sa.bindparam('segment_id'))
            .values(words=sa.bindparam('segment_words')),
            [{'segment_id': row.id, 'segment_words': len(row.text.split())} for row in rows],
        )
    op.create_index('ix_claim_segments_claim_words', 'claim_segments', ['claim_id', 'words'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_claim_segments_claim_words', table_name='claim_segments')
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch rebuild of the table would trip
    # over 0003's search triggers, which name claim_segments.
    op.execute('ALTER TABLE claim_segments DROP COLUMN words')
