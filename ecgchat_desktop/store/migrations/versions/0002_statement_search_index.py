"""Statement search index: each ECG's current statement codes (confirmed if confirmed,
else the latest program findings), filled from the existing rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    codes = op.create_table(
        'ecg_statement_codes',
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'],
                                name=op.f('fk_ecg_statement_codes_record_id_ecg_records'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('record_id', 'code', name=op.f('pk_ecg_statement_codes')),
    )
    with op.batch_alter_table('ecg_statement_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecg_statement_codes_code'), ['code'], unique=False)

    # Backfill. Written against this revision's tables only (no ORM models), so it keeps
    # working whatever the models become later.
    bind = op.get_bind()
    latest: dict[int, tuple[list, bool]] = {}
    for record_id, statements_json in bind.execute(sa.text(
            "SELECT record_id, statements_json FROM findings ORDER BY record_id, id")):
        latest[record_id] = (json.loads(statements_json), False)
    for record_id, statements_json in bind.execute(sa.text(
            "SELECT record_id, statements_json FROM confirmations ORDER BY record_id, id")):
        latest[record_id] = (json.loads(statements_json), True)
    rows = []
    for record_id, (statements, confirmed) in latest.items():
        for code in sorted({s["code"] for s in statements if s.get("code")}):
            rows.append({"record_id": record_id, "code": code[:64], "confirmed": confirmed})
    if rows:
        op.bulk_insert(codes, rows)


def downgrade() -> None:
    with op.batch_alter_table('ecg_statement_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecg_statement_codes_code'))
    op.drop_table('ecg_statement_codes')
