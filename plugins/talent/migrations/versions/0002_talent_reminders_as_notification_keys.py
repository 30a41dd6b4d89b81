"""talent reminders: "remind once" through the core's notification keys; talent_reminder dropped.

A ``talent_reminder`` row said that a registration's reminder for one threshold had gone out,
so that it went out once.  The core now keeps that in ``notification.once_key``
(``talent.registration:<id>:<expiry>:<days>``, see services/reminders.py).  Before the table
goes, each of its rows marks the notices it stood for (same registration link, the threshold's
title, no key yet) with that key, so that the next run does not send them again; the rest of
what the rows held (sent day, number told) is in the notices themselves.

Downgrade rebuilds the rows from the keyed notices and leaves the keys in place (they are the
core's column, and harmless to the old code).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002_talent"
down_revision = "0001_talent"
branch_labels = None
depends_on = None

KEY = "talent.registration:{id}:{expires}:{days}"


def _title(days: int) -> str:
    return "社工登记已过期：%" if days == 0 else f"社工登记 {days} 天内到期：%"


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT r.registration_id, r.days, g.expires_on FROM talent_reminder r "
        "JOIN talent_registration g ON g.id = r.registration_id")).all()
    for registration_id, days, expires in rows:
        expires = expires if isinstance(expires, str) else expires.isoformat()
        key = KEY.format(id=registration_id, expires=expires[:10], days=days)
        # One notice per user takes the key: the core's index allows no second.
        conn.execute(sa.text(
            "UPDATE notification SET once_key = :key WHERE id IN ("
            " SELECT min(id) FROM notification"
            " WHERE source = 'talent' AND once_key IS NULL AND title LIKE :title"
            " AND link IN (:old_link, :new_link)"
            " AND user_id NOT IN (SELECT user_id FROM notification WHERE once_key = :key)"
            " GROUP BY user_id)"),
            {"key": key, "title": _title(days),
             "old_link": f"/talentregistrationview/show/{registration_id}",
             "new_link": f"/talent/registrations/show/{registration_id}"})
    with op.batch_alter_table('talent_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talent_reminder_registration_id'))
        batch_op.drop_index(batch_op.f('ix_talent_reminder_region_id'))
    op.drop_table('talent_reminder')


def downgrade():
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
    conn = op.get_bind()
    sent: dict[tuple[int, int], list] = {}
    for key, created in conn.execute(sa.text(
            "SELECT once_key, created_at FROM notification WHERE once_key LIKE 'talent.registration:%'")):
        _, registration_id, _, days = key.split(":")
        entry = sent.setdefault((int(registration_id), int(days)), [created, 0])
        entry[0] = min(entry[0], created)
        entry[1] += 1
    table = sa.table('talent_reminder', sa.column('registration_id'), sa.column('region_id'),
                     sa.column('days'), sa.column('sent_on', sa.Date()), sa.column('recipients'))
    for (registration_id, days), (created, recipients) in sorted(sent.items()):
        region = conn.execute(sa.text("SELECT region_id FROM talent_registration WHERE id = :id"),
                              {"id": registration_id}).scalar()
        if region is None:
            continue  # the registration is gone: no row can point at it
        day = dt.date.fromisoformat(created[:10]) if isinstance(created, str) else created.date()
        conn.execute(table.insert().values(registration_id=registration_id, region_id=region, days=days,
                                           sent_on=day, recipients=recipients))
