"""The navigation on every page: its links resolved once per process, the role names kept a minute."""

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse, set_script_prefix

from infusion_center import context_processors, roles
from tests.factories import PatientFactory


def test_a_link_is_the_address_reverse_gives():
    html = Template("{% link 'scheduling:board' %} {% link 'patients:patient-list' %}").render(Context())
    assert html == f"{reverse('scheduling:board')} {reverse('patients:patient-list')}"


def test_a_link_with_ids_is_the_address_reverse_gives_and_anything_else_is_reversed_as_asked():
    from infusion_center import links

    assert links.link("patients:patient-detail", 7) == reverse("patients:patient-detail", args=[7])
    assert links.link("patients:patient-detail", 918_273_645) == reverse("patients:patient-detail", args=[918_273_645])
    assert Template("{% link 'scheduling:appointment-detail' 42 %}").render(Context()) == reverse(
        "scheduling:appointment-detail", args=[42]
    )
    with pytest.raises(NoReverseMatch):  # not a whole number: reverse() decides, as it would have
        links.link("patients:patient-detail", -1)
    try:
        set_script_prefix("/center-a/")
        assert PatientFactory.build(pk=9).get_absolute_url() == "/center-a/patients/9/"
    finally:
        set_script_prefix("/")


def test_a_link_follows_the_script_prefix_it_is_served_under():
    try:
        set_script_prefix("/center-a/")
        assert Template("{% link 'scheduling:board' %}").render(Context()) == "/center-a/board/"
        set_script_prefix("/")
        assert Template("{% link 'scheduling:board' %}").render(Context()) == "/board/"
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_the_role_names_are_read_once_a_minute(client, nurse):
    with time_machine.travel("2026-03-11 12:00 +00:00", tick=False) as clock:
        client.force_login(nurse)
        assert 'role-badge">Nurse<' in client.get(reverse("patients:patient-list")).content.decode()
        nurse.groups.add(Group.objects.get(name=roles.SCHEDULER))
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("patients:patient-list")).content.decode()
        assert 'role-badge">Nurse<' in page  # kept: no query for the names
        assert not any('"auth_group"."name"' in q["sql"] for q in ctx.captured_queries)
        clock.shift(context_processors.ROLE_NAMES_SECONDS + 1)
        client.force_login(nurse)  # a fresh session: the clock moved
        page = client.get(reverse("patients:patient-list")).content.decode()
    assert f'role-badge">{roles.NURSE}, {roles.SCHEDULER}<' in page


@pytest.mark.django_db
def test_a_figure_worked_out_by_one_process_is_read_by_the_others_until_it_is_forgotten():
    from django.core.cache import cache

    from infusion_center.shared_figures import forget_shared_figures, shared_figure

    counted = []

    def count():
        counted.append(1)
        return 7

    assert shared_figure("test:figure", count, 60) == 7
    cache.clear()  # another web process: its own memory is empty, the database cache is shared
    with CaptureQueriesContext(connection) as ctx:
        assert shared_figure("test:figure", count, 60) == 7
    assert len(counted) == 1 and len(ctx.captured_queries) == 1  # read from the shared table, not counted again
    with CaptureQueriesContext(connection) as ctx:
        assert shared_figure("test:figure", count, 60) == 7
    assert not ctx.captured_queries  # and then from the process's own copy
    forget_shared_figures("test:figure")
    assert shared_figure("test:figure", count, 60) == 7 and len(counted) == 2
