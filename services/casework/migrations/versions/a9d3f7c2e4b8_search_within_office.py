"""search within an office: the office in the text index

Revision ID: a9d3f7c2e4b8
Revises: f3a8c1d6e2b7
Create Date: 2026-12-07 15:10:00.000000

A search within one office for a common word looked up the case of every match to test its office: 360-470 ms at a
million cases for a word in one case in six. The office now goes into the text index, where the words' matches are
intersected with it: a column `office` of case_search (from the case, whose office never changes); on SQLite a column
of the FTS5 table holding the office as one token (the table made again from its own stems, no text stemmed again);
on PostgreSQL GIN indexes on (office, tsvector) in place of those on the tsvectors alone, with btree_gin for the
office (a trusted extension, as unaccent and pg_trgm are). Searches without an office use the same indexes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a9d3f7c2e4b8'
down_revision = 'f3a8c1d6e2b7'
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def upgrade() -> None:
    from services.casework.adapters.database_extensions import prepare
    from services.casework.adapters.search_index import OFFICE_TOKEN_SQL, fill

    bind = op.get_bind()
    op.add_column('case_search', sa.Column('office', sa.String(40), nullable=False, server_default=''))
    op.execute("UPDATE case_search SET office = (SELECT c.office FROM cases c WHERE c.case_id = case_search.case_id)")
    if bind.dialect.name == "postgresql":
        prepare(bind)
        for config in ("french", "english"):
            op.execute(f"DROP INDEX ix_case_search_{config}")
            op.execute(f"CREATE INDEX ix_case_search_office_{config} ON case_search USING gin (office, {config})")
    else:
        op.execute(f"CREATE VIRTUAL TABLE case_search_fts_new USING fts5(stems, office, {_TOKENIZE})")
        op.execute("INSERT INTO case_search_fts_new (rowid, stems, office) SELECT f.rowid, f.stems, "
                   f"{OFFICE_TOKEN_SQL.format('s.office')} FROM case_search_fts f JOIN case_search s ON s.doc = f.rowid")
        op.execute("DROP TABLE case_search_fts")
        op.execute("ALTER TABLE case_search_fts_new RENAME TO case_search_fts")
    if not bind.scalar(sa.text("SELECT count(*) FROM case_search")):  # cases from before c3f9a2d7e5b1: indexed now
        fill(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for config in ("french", "english"):
            op.execute(f"DROP INDEX ix_case_search_office_{config}")
            op.execute(f"CREATE INDEX ix_case_search_{config} ON case_search USING gin ({config})")
    else:
        op.execute(f"CREATE VIRTUAL TABLE case_search_fts_old USING fts5(stems, {_TOKENIZE})")
        op.execute("INSERT INTO case_search_fts_old (rowid, stems) SELECT rowid, stems FROM case_search_fts")
        op.execute("DROP TABLE case_search_fts")
        op.execute("ALTER TABLE case_search_fts_old RENAME TO case_search_fts")
    with op.batch_alter_table('case_search') as batch:
        batch.drop_column('office')
