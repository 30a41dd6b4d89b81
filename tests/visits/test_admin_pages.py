"""Teams and departments: a record still referenced is not deleted, and the user is told why."""


def test_a_department_with_problems_is_not_deleted(world, client, auth):
    from plugins.visits.models import Department

    department = world.department(members=("zhaoyang",))
    world.problem(world.enterprise(), department=department)
    auth.login()
    page = client.post(f"/visits/departments/delete/{department.id}", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "仍被其他记录引用" in text and "Traceback" not in text
    world.session.expire_all()
    assert world.session.get(Department, department.id) is not None


def test_an_unused_department_is_deleted(world, client, auth):
    from plugins.visits.models import Department

    department = world.department(name="待撤销单位")
    auth.login()
    client.post(f"/visits/departments/delete/{department.id}", follow_redirects=True)
    world.session.expire_all()
    assert world.session.get(Department, department.id) is None
