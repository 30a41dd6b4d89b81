"""talent tables: people, certificates, registrations, continuing education, supervision and
reminders sent."""
import sqlalchemy as sa
from alembic import op

revision = "0001_talent"
down_revision = None
branch_labels = ("talent",)
depends_on = "0001_core"


def upgrade():
    op.create_table('talent_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number_enc', sa.String(length=120), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=18), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=True),
    sa.Column('community_worker', sa.Boolean(), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('id_number_hash')
    )
    with op.batch_alter_table('talent_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_person_region_id'), ['region_id'], unique=False)

    op.create_table('talent_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=30), nullable=False),
    sa.Column('management_number', sa.String(length=50), nullable=False),
    sa.Column('year_obtained', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=30), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('revoked_reason', sa.String(length=500), nullable=True),
    sa.Column('revoked_on', sa.Date(), nullable=True),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['talent_person.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('management_number'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('talent_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_certificate_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_certificate_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_certificate_region_id'), ['region_id'], unique=False)

    op.create_table('talent_education',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['talent_person.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('talent_education', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_education_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_education_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_education_taken_on'), ['taken_on'], unique=False)

    op.create_table('talent_supervision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('supervisee_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['supervisee_id'], ['talent_person.id'], ),
    sa.ForeignKeyConstraint(['supervisor_id'], ['talent_person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('supervisor_id', 'supervisee_id', 'started_on')
    )
    with op.batch_alter_table('talent_supervision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_supervision_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_supervision_supervisee_id'), ['supervisee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_supervision_supervisor_id'), ['supervisor_id'], unique=False)

    op.create_table('talent_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['talent_certificate.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('talent_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_registration_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_registration_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_registration_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_registration_status'), ['status'], unique=False)

    op.create_table('talent_supervision_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supervision_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['supervision_id'], ['talent_supervision.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('talent_supervision_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_supervision_session_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_supervision_session_supervision_id'), ['supervision_id'], unique=False)

    op.create_table('talent_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['talent_registration.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('registration_id', 'days')
    )
    with op.batch_alter_table('talent_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talent_reminder_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talent_reminder_registration_id'), ['registration_id'], unique=False)



def downgrade():
    with op.batch_alter_table('talent_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_reminder_registration_id'))
        batch_op.drop_index(batch_op.f('ix_talent_reminder_region_id'))

    op.drop_table('talent_reminder')
    with op.batch_alter_table('talent_supervision_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_supervision_session_supervision_id'))
        batch_op.drop_index(batch_op.f('ix_talent_supervision_session_region_id'))

    op.drop_table('talent_supervision_session')
    with op.batch_alter_table('talent_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_registration_status'))
        batch_op.drop_index(batch_op.f('ix_talent_registration_region_id'))
        batch_op.drop_index(batch_op.f('ix_talent_registration_expires_on'))
        batch_op.drop_index(batch_op.f('ix_talent_registration_certificate_id'))

    op.drop_table('talent_registration')
    with op.batch_alter_table('talent_supervision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_supervision_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_talent_supervision_supervisee_id'))
        batch_op.drop_index(batch_op.f('ix_talent_supervision_region_id'))

    op.drop_table('talent_supervision')
    with op.batch_alter_table('talent_education', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_education_taken_on'))
        batch_op.drop_index(batch_op.f('ix_talent_education_region_id'))
        batch_op.drop_index(batch_op.f('ix_talent_education_person_id'))

    op.drop_table('talent_education')
    with op.batch_alter_table('talent_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_certificate_region_id'))
        batch_op.drop_index(batch_op.f('ix_talent_certificate_person_id'))
        batch_op.drop_index(batch_op.f('ix_talent_certificate_level'))

    op.drop_table('talent_certificate')
    with op.batch_alter_table('talent_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_person_region_id'))

    op.drop_table('talent_person')
