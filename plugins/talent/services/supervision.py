"""Supervision (督导): who supervises whom, from when to when, and each session held."""

from __future__ import annotations

import datetime as dt

from console import db, scope

from ..errors import TalentError
from ..models import Person, Supervision, SupervisionSession
from .common import no_autoflush, text, today
from .education import parse_hours


@no_autoflush
def check_supervision(sup: Supervision) -> None:
    supervisor = sup.supervisor or db.session.get(Person, sup.supervisor_id or 0)
    supervisee = sup.supervisee or db.session.get(Person, sup.supervisee_id or 0)
    if supervisor is None or supervisee is None:
        raise TalentError("请选择督导者和被督导者")
    if supervisor.id == supervisee.id:
        raise TalentError("督导者和被督导者不能是同一人")
    scope.require(supervisee.region_id)
    if not isinstance(sup.started_on, dt.date):
        raise TalentError("请填写督导开始日期")
    if sup.ended_on and sup.ended_on < sup.started_on:
        raise TalentError("督导结束日期不能早于开始日期")
    sup.supervisor, sup.supervisee = supervisor, supervisee
    sup.region_id = supervisee.region_id


def add_supervision(supervisor: Person, supervisee: Person, started_on: dt.date,
                    ended_on: dt.date | None = None) -> Supervision:
    sup = Supervision(supervisor_id=supervisor.id, supervisee_id=supervisee.id, started_on=started_on,
                      ended_on=ended_on)
    check_supervision(sup)
    db.session.add(sup)
    db.session.flush()
    return sup


@no_autoflush
def check_session(sess: SupervisionSession, on: dt.date | None = None) -> None:
    on = on or today()
    sup = sess.supervision or db.session.get(Supervision, sess.supervision_id or 0)
    if sup is None:
        raise TalentError("请选择督导关系")
    scope.require(sup.region_id)
    sess.hours = parse_hours(sess.hours, limit=24)
    if not isinstance(sess.held_on, dt.date):
        raise TalentError("请填写督导日期")
    if sess.held_on > on:
        raise TalentError("督导日期不能晚于今天")
    if sess.held_on < sup.started_on or (sup.ended_on and sess.held_on > sup.ended_on):
        raise TalentError("督导日期不在该督导关系的起止日期内")
    sess.topic = text(sess.topic, "督导主题", 200)
    sess.supervision = sup
    sess.region_id = sup.region_id


def log_session(sup: Supervision, *, held_on: dt.date, hours, topic=None,
                on: dt.date | None = None) -> SupervisionSession:
    sess = SupervisionSession(supervision_id=sup.id, held_on=held_on, hours=hours, topic=topic)
    check_session(sess, on)
    db.session.add(sess)
    db.session.flush()
    return sess
