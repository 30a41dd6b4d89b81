"""nameplates tables: registers, inspections, rectification, reverse check, ledger

Revision ID: 0001_nameplates
Revises:
"""
import sqlalchemy as sa
from alembic import op

from jiceng.plugins.nameplates.services import seeds

revision = '0001_nameplates'
down_revision = None
branch_labels = ('nameplates',)
depends_on = '0001_core'


def upgrade():
    op.create_table('nameplates_cancelled_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('number')
    )
    op.create_table('nameplates_duty_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_kind', 'number', name='uq_nameplates_duty_item')
    )
    op.create_table('nameplates_whitelist_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_table('nameplates_whitelist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.String(length=10), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['nameplates_whitelist_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'name', name='uq_nameplates_whitelist_item')
    )
    with op.batch_alter_table('nameplates_whitelist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_whitelist_item_version_id'), ['version_id'], unique=False)

    op.create_table('nameplates_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=50), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('whitelist_version_id', sa.Integer(), nullable=True),
    sa.Column('wall_boards', sa.Integer(), nullable=False),
    sa.Column('wall_boards_ok', sa.Boolean(), nullable=False),
    sa.Column('wall_boards_note', sa.String(length=500), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('responsible_person', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('review_comment', sa.String(length=500), nullable=True),
    sa.Column('compliant', sa.Boolean(), nullable=True),
    sa.Column('rebound', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inspector_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['whitelist_version_id'], ['nameplates_whitelist_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id')
    )
    with op.batch_alter_table('nameplates_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_inspection_inspected_on'), ['inspected_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_inspection_inspector_id'), ['inspector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_inspection_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_inspection_status'), ['status'], unique=False)

    op.create_table('nameplates_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cancelled_id', sa.Integer(), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cancelled_id'], ['nameplates_cancelled_certificate.id'], ),
    sa.ForeignKeyConstraint(['inspection_id'], ['nameplates_inspection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nameplates_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_certificate_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('nameplates_plaque',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.String(length=10), nullable=False),
    sa.Column('on_whitelist', sa.Boolean(), nullable=False),
    sa.Column('unregistered', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['nameplates_inspection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nameplates_plaque', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_plaque_inspection_id'), ['inspection_id'], unique=False)

    op.create_table('nameplates_rectification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('finding_type', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('responsible_person', sa.String(length=100), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('measures', sa.String(length=500), nullable=True),
    sa.Column('rectified_on', sa.Date(), nullable=True),
    sa.Column('reinspection_note', sa.String(length=500), nullable=True),
    sa.Column('reinspected_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['nameplates_inspection.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['reinspected_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nameplates_rectification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_rectification_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_rectification_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_rectification_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_rectification_status'), ['status'], unique=False)

    op.create_table('nameplates_reinspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('source_inspection_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('done_inspection_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['done_inspection_id'], ['nameplates_inspection.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.ForeignKeyConstraint(['source_inspection_id'], ['nameplates_inspection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nameplates_reinspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_reinspection_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_reinspection_status'), ['status'], unique=False)

    op.create_table('nameplates_village',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_inspection_id', sa.Integer(), nullable=True),
    sa.Column('last_inspected_on', sa.Date(), nullable=True),
    sa.Column('inspections', sa.Integer(), nullable=False),
    sa.Column('open_orders', sa.Integer(), nullable=False),
    sa.Column('closed_orders', sa.Integer(), nullable=False),
    sa.Column('rebounds', sa.Integer(), nullable=False),
    sa.Column('next_deadline', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['last_inspection_id'], ['nameplates_inspection.id'], ),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('region_id')
    )
    with op.batch_alter_table('nameplates_village', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nameplates_village_next_deadline'), ['next_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_nameplates_village_status'), ['status'], unique=False)

    _seed_registers()


def _seed_registers():
    """The whitelist of the example county plan, the duty lists and the cancelled certificates."""
    version = sa.table('nameplates_whitelist_version', sa.column('id', sa.Integer),
                       sa.column('number', sa.Integer), sa.column('effective_on', sa.Date),
                       sa.column('note', sa.String))
    item = sa.table('nameplates_whitelist_item', sa.column('version_id', sa.Integer),
                    sa.column('name', sa.String), sa.column('position', sa.String), sa.column('sort', sa.Integer))
    duty = sa.table('nameplates_duty_item', sa.column('list_kind', sa.String), sa.column('number', sa.Integer),
                    sa.column('title', sa.String), sa.column('example', sa.Boolean))
    cert = sa.table('nameplates_cancelled_certificate', sa.column('number', sa.Integer),
                    sa.column('name', sa.String), sa.column('example', sa.Boolean))
    op.bulk_insert(version, [{'id': 1, 'number': 1, 'effective_on': seeds.WHITELIST_EFFECTIVE,
                              'note': '示例县级方案：门外4块、门内4块'}])
    op.bulk_insert(item, [{'version_id': 1, 'name': name, 'position': position, 'sort': i}
                          for i, (name, position) in enumerate(seeds.WHITELIST)])
    op.bulk_insert(duty, seeds.duty_items())
    op.bulk_insert(cert, seeds.certificate_rows())
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('nameplates_whitelist_version', 'id'), 1)")



def downgrade():
    with op.batch_alter_table('nameplates_village', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_village_status'))
        batch_op.drop_index(batch_op.f('ix_nameplates_village_next_deadline'))

    op.drop_table('nameplates_village')
    with op.batch_alter_table('nameplates_reinspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_reinspection_status'))
        batch_op.drop_index(batch_op.f('ix_nameplates_reinspection_region_id'))

    op.drop_table('nameplates_reinspection')
    with op.batch_alter_table('nameplates_rectification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_rectification_status'))
        batch_op.drop_index(batch_op.f('ix_nameplates_rectification_region_id'))
        batch_op.drop_index(batch_op.f('ix_nameplates_rectification_inspection_id'))
        batch_op.drop_index(batch_op.f('ix_nameplates_rectification_deadline'))

    op.drop_table('nameplates_rectification')
    with op.batch_alter_table('nameplates_plaque', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_plaque_inspection_id'))

    op.drop_table('nameplates_plaque')
    with op.batch_alter_table('nameplates_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_certificate_inspection_id'))

    op.drop_table('nameplates_certificate')
    with op.batch_alter_table('nameplates_inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_inspection_status'))
        batch_op.drop_index(batch_op.f('ix_nameplates_inspection_region_id'))
        batch_op.drop_index(batch_op.f('ix_nameplates_inspection_inspector_id'))
        batch_op.drop_index(batch_op.f('ix_nameplates_inspection_inspected_on'))

    op.drop_table('nameplates_inspection')
    with op.batch_alter_table('nameplates_whitelist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nameplates_whitelist_item_version_id'))

    op.drop_table('nameplates_whitelist_item')
    op.drop_table('nameplates_whitelist_version')
    op.drop_table('nameplates_duty_item')
    op.drop_table('nameplates_cancelled_certificate')
