"""case search

Revision ID: c3f9a2d7e5b1
Revises: b8d41f6e2c07
Create Date: 2026-12-07 02:50:00.000000

The search documents (ADR 0021): per case its summary, place and officers' notes. PostgreSQL: French and English
tsvector columns computed from them without accents (the `unaccent` extension behind an immutable wrapper, as an
index expression needs), each GIN-indexed. SQLite: an FTS5 table of their French and English stems. Filled from the
cases and history casework holds, by the same code as a read-model rebuild, in revision a9d3f7c2e4b8 (which
adds a column the code writes).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c3f9a2d7e5b1'
down_revision = 'b8d41f6e2c07'
branch_labels = None
depends_on = None

# In `public`, whatever schema the tables are in: one per database, as the extension is (test schemas share it).
UNACCENT = "public.hrcase_unaccent"


def _vector(config: str) -> str:
    parts = (("summary", "A"), ("place", "A"), ("notes", "B"))
    return " || ".join(f"setweight(to_tsvector('{config}'::regconfig, {UNACCENT}(coalesce({column}, ''))), '{w}')"
                       for column, w in parts)


def _unaccent(bind: sa.Connection) -> None:
    """The extension and its immutable wrapper (a generated column needs an immutable function): what a restored
    database gets too, so it is written once, in the adapter. Imported here: read only when this revision runs."""
    from services.casework.adapters.database_extensions import prepare
    prepare(bind)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        'case_search',
        sa.Column('doc', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('case_id', sa.String(36), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('place', sa.Text(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('doc'),
        sa.UniqueConstraint('case_id'),
    )
    if bind.dialect.name == "postgresql":
        _unaccent(bind)
        for config in ("french", "english"):
            op.execute(f"ALTER TABLE case_search ADD COLUMN {config} tsvector "
                       f"GENERATED ALWAYS AS ({_vector(config)}) STORED")
            op.execute(f"CREATE INDEX ix_case_search_{config} ON case_search USING gin ({config})")
    else:
        # The stems are the tokens (domain.search.stemmed); the tokenizer only splits them and drops diacritics.
        op.execute("CREATE VIRTUAL TABLE case_search_fts USING fts5(stems, "
                   "tokenize = 'unicode61 remove_diacritics 2')")
    # Filled by the latest revision that changes these tables (a9d3f7c2e4b8), with the code that writes them as
    # they then stand: this revision's tables are not the code's any more.


def downgrade() -> None:
    # The extension and its wrapper stay: other schemas of the database may use them.
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE case_search_fts")
    op.drop_table('case_search')
