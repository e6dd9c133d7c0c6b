"""Initial schema: patients, ECG records and signals, findings, confirmations, chats,
reports, audit events. Frozen: never edit; add a new revision instead.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('details_json', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_record_id'), ['record_id'], unique=False)

    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('name', sa.String(length=256), nullable=True),
    sa.Column('name_folded', sa.String(length=256), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('external_id', name=op.f('uq_patients_external_id'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_name_folded'), ['name_folded'], unique=False)

    op.create_table('ecg_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source_path', sa.Text(), nullable=True),
    sa.Column('source_format', sa.String(length=32), nullable=False),
    sa.Column('acquired_at', sa.DateTime(), nullable=True),
    sa.Column('acquired_utc_offset_min', sa.Integer(), nullable=True),
    sa.Column('device', sa.String(length=256), nullable=True),
    sa.Column('sampling_rate_hz', sa.Float(), nullable=False),
    sa.Column('n_leads', sa.Integer(), nullable=False),
    sa.Column('n_samples', sa.Integer(), nullable=False),
    sa.Column('lead_names_json', sa.Text(), nullable=False),
    sa.Column('file_meta_json', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('imported_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_ecg_records_patient_id_patients'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecg_records')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_ecg_records_content_hash'))
    )
    with op.batch_alter_table('ecg_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecg_records_acquired_at'), ['acquired_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ecg_records_imported_at'), ['imported_at'], unique=False)
        batch_op.create_index('ix_ecg_records_patient_acquired', ['patient_id', 'acquired_at'], unique=False)

    op.create_table('chat_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('model_name', sa.String(length=256), nullable=False),
    sa.Column('started_by', sa.String(length=128), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'], name=op.f('fk_chat_sessions_record_id_ecg_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_sessions'))
    )
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_sessions_record_id'), ['record_id'], unique=False)

    op.create_table('ecg_signals',
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('codec', sa.String(length=16), nullable=False),
    sa.Column('scale_mv', sa.Float(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('median_codec', sa.String(length=16), nullable=True),
    sa.Column('median_scale_mv', sa.Float(), nullable=True),
    sa.Column('median_rate_hz', sa.Float(), nullable=True),
    sa.Column('median_shape_json', sa.Text(), nullable=True),
    sa.Column('median_data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'], name=op.f('fk_ecg_signals_record_id_ecg_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_ecg_signals'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('program_version', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('hr_bpm', sa.Float(), nullable=True),
    sa.Column('statements_json', sa.Text(), nullable=False),
    sa.Column('ecg_info_json', sa.Text(), nullable=False),
    sa.Column('encoder_json', sa.Text(), nullable=True),
    sa.Column('notes_json', sa.Text(), nullable=False),
    sa.Column('measurements_zjson', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'], name=op.f('fk_findings_record_id_ecg_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_record_id'), ['record_id'], unique=False)

    op.create_table('confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('findings_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=128), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.Column('statements_json', sa.Text(), nullable=False),
    sa.Column('changes_json', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['findings_id'], ['findings.id'], name=op.f('fk_confirmations_findings_id_findings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'], name=op.f('fk_confirmations_record_id_ecg_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confirmations'))
    )
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confirmations_record_id'), ['record_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('model_name', sa.String(length=256), nullable=True),
    sa.Column('claims_json', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['chat_sessions.id'], name=op.f('fk_messages_session_id_chat_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_session_id'), ['session_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('confirmation_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['confirmation_id'], ['confirmations.id'], name=op.f('fk_reports_confirmation_id_confirmations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['ecg_records.id'], name=op.f('fk_reports_record_id_ecg_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_record_id'), ['record_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_record_id'))

    op.drop_table('reports')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_session_id'))

    op.drop_table('messages')
    with op.batch_alter_table('confirmations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confirmations_record_id'))

    op.drop_table('confirmations')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_record_id'))

    op.drop_table('findings')
    op.drop_table('ecg_signals')
    with op.batch_alter_table('chat_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_sessions_record_id'))

    op.drop_table('chat_sessions')
    with op.batch_alter_table('ecg_records', schema=None) as batch_op:
        batch_op.drop_index('ix_ecg_records_patient_acquired')
        batch_op.drop_index(batch_op.f('ix_ecg_records_imported_at'))
        batch_op.drop_index(batch_op.f('ix_ecg_records_acquired_at'))

    op.drop_table('ecg_records')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_name_folded'))

    op.drop_table('patients')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')

