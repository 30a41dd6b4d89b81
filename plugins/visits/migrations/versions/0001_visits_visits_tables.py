"""visits tables

Revision ID: 0001_visits
Revises: 
Create Date: 2026-11-26 18:40:58.743208
"""
import sqlalchemy as sa
from alembic import op

revision = '0001_visits'
down_revision = None
branch_labels = ('visits',)
depends_on = "0001_core"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table('visits_department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visits_department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_department_region_id'), ['region_id'], unique=False)

    op.create_table('visits_enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=50), nullable=True),
    sa.Column('size', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('contact_person', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credit_code')
    )
    with op.batch_alter_table('visits_enterprise', schema=None) as batch_op:
        batch_op.create_index('ix_visits_enterprise_county_name', ['county_id', 'name'], unique=False)
        batch_op.create_index('ix_visits_enterprise_name', ['name'], unique=False)
        batch_op.create_index('ix_visits_enterprise_region_id', ['region_id'], unique=False)
    if _postgresql():
        # LIKE 'prefix%' uses this index whatever the database collation.
        op.create_index('ix_visits_enterprise_name_prefix', 'visits_enterprise', ['name'],
                        postgresql_ops={'name': 'varchar_pattern_ops'})

    op.create_table('visits_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visits_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_team_region_id'), ['region_id'], unique=False)

    op.create_table('visits_department_member',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['visits_department.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'user_id')
    )
    op.create_table('visits_team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['visits_team.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id')
    )
    op.create_table('visits_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('send_items', sa.String(length=200), nullable=True),
    sa.Column('enter_target', sa.String(length=50), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['visits_enterprise.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['visits_team.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visits_visit', schema=None) as batch_op:
        batch_op.create_index('ix_visits_visit_county_date', ['county_id', 'visit_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visit_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visit_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visit_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visit_visit_date'), ['visit_date'], unique=False)

    op.create_table('visits_problem',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('satisfaction', sa.String(length=10), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_by_name', sa.String(length=128), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['visits_department.id'], ),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['visits_problem.id'], ),
    sa.ForeignKeyConstraint(['enterprise_id'], ['visits_enterprise.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visits_visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visits_problem', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_problem_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index('ix_visits_problem_county_status', ['county_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_raised_on'), ['raised_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_region_id'), ['region_id'], unique=False)
        batch_op.create_index('ix_visits_problem_status_due', ['status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_visit_id'), ['visit_id'], unique=False)

    op.create_table('visits_problem_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=True),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=128), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['visits_problem.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visits_problem_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_problem_step_problem_id'), ['problem_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_problem_step_region_id'), ['region_id'], unique=False)



def downgrade():
    with op.batch_alter_table('visits_problem_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_problem_step_region_id'))
        batch_op.drop_index(batch_op.f('ix_visits_problem_step_problem_id'))

    op.drop_table('visits_problem_step')
    with op.batch_alter_table('visits_problem', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_problem_visit_id'))
        batch_op.drop_index('ix_visits_problem_status_due')
        batch_op.drop_index(batch_op.f('ix_visits_problem_region_id'))
        batch_op.drop_index(batch_op.f('ix_visits_problem_raised_on'))
        batch_op.drop_index(batch_op.f('ix_visits_problem_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_visits_problem_department_id'))
        batch_op.drop_index('ix_visits_problem_county_status')
        batch_op.drop_index(batch_op.f('ix_visits_problem_closed_at'))

    op.drop_table('visits_problem')
    with op.batch_alter_table('visits_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_visit_visit_date'))
        batch_op.drop_index(batch_op.f('ix_visits_visit_team_id'))
        batch_op.drop_index(batch_op.f('ix_visits_visit_region_id'))
        batch_op.drop_index(batch_op.f('ix_visits_visit_enterprise_id'))
        batch_op.drop_index('ix_visits_visit_county_date')

    op.drop_table('visits_visit')
    op.drop_table('visits_team_member')
    op.drop_table('visits_department_member')
    with op.batch_alter_table('visits_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_team_region_id'))

    op.drop_table('visits_team')
    with op.batch_alter_table('visits_enterprise', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_enterprise_region_id')
        batch_op.drop_index('ix_visits_enterprise_name')
        batch_op.drop_index('ix_visits_enterprise_county_name')

    if _postgresql():
        op.drop_index('ix_visits_enterprise_name_prefix', table_name='visits_enterprise')
    op.drop_table('visits_enterprise')
    with op.batch_alter_table('visits_department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_department_region_id'))

    op.drop_table('visits_department')
