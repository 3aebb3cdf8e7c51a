"""Call spot checks (录音抽查): the recording on a call note, the manager's check from the
ticket page, four eyes, and who sees the checks."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice.desk import services
from backoffice.desk import workflows as wf
from backoffice.desk.models import CallSpotCheck, TicketAttachment, TicketMessage
from backoffice.platform.models import Notification
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
D = wf.MessageDirection
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 200
ADD = "admin:backoffice_callspotcheck_add"
LIST = "admin:backoffice_callspotcheck_changelist"


def ticket_page(client, ticket):
    response = client.get(reverse("admin:backoffice_ticket_change", args=[ticket.pk]))
    assert response.status_code == 200
    return response.content.decode()


def log_call(client, ticket, body, *files):
    """The ticket page's "Log a call" dialog, with the recording attached."""
    return client.post(reverse("admin:backoffice_ticket_message", args=[ticket.pk]),
                       {"message-direction": D.FROM_CUSTOMER, "message-channel": wf.Channel.PHONE,
                        "message-body": body, "message-files": list(files)})


@pytest.fixture
def call(client, clerk):
    """A call the clerk took and logged on the ticket page with its MP3 recording."""
    ticket = TicketFactory()
    client.force_login(clerk)
    response = log_call(client, ticket, "客户来电：登录报错",
                        SimpleUploadedFile("call-0931.mp3", MP3, content_type="audio/mpeg"))
    assert response.status_code == 302
    client.logout()
    return TicketMessage.objects.get(ticket=ticket)


def test_a_call_note_carries_its_recording_played_on_the_ticket_page(client, clerk, call):
    recording = TicketAttachment.objects.get(message=call)
    assert (recording.filename, recording.content_type) == ("call-0931.mp3", "audio/mpeg")
    client.force_login(clerk)
    html = ticket_page(client, call.ticket)
    assert f'<audio controls preload="none" src="{recording.file.url}"' in html
    served = client.get(recording.file.url)
    assert served["Content-Type"] == "audio/mpeg" and "attachment" not in served.get(
        "Content-Disposition", "")
    # a WAV is accepted by its content too; a renamed image is not a recording
    assert log_call(client, call.ticket, "第二通",
                    SimpleUploadedFile("b.wav", WAV)).status_code == 302
    response = log_call(client, call.ticket, "假录音",
                        SimpleUploadedFile("fake.mp3", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    assert response.status_code == 200 and "is not really a MP3 file" in response.content.decode()
    assert not TicketMessage.objects.filter(body="假录音").exists()


def test_the_manager_spot_checks_a_call_from_the_ticket_page(client, clerk, manager, call):
    client.force_login(manager)
    html = ticket_page(client, call.ticket)
    link = f"{reverse(ADD)}?message={call.pk}"
    assert f'id="spot-check-call-{call.pk}" href="{link}"' in html
    form = client.get(link).content.decode()
    recording = TicketAttachment.objects.get(message=call)
    assert f'value="{recording.pk}"' in form and "call-0931.mp3" in form
    response = client.post(link, {"message": call.pk, "recording": recording.pk,
                                  "score": 85, "comment": "问候规范，复述需求清楚；未告知回电时间"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    check = CallSpotCheck.objects.get()
    assert (check.agent, check.checked_by, check.score) == (clerk, manager, 85)
    assert check.call_at == call.sent_at and check.recording == recording
    assert check.history.get().history_user == manager
    bell = Notification.objects.get(recipient=clerk, event="call_spot_checked")
    assert "85" in bell.title
    html = ticket_page(client, call.ticket)
    assert "Spot-checked: 85 of 100" in html and f'id="spot-check-call-{call.pk}"' not in html
    # once is enough: the call is no longer offered, a second check is refused
    response = client.post(link, {"message": call.pk, "score": 60, "comment": "again"})
    assert response.status_code == 200 and CallSpotCheck.objects.count() == 1


def test_nobody_spot_checks_their_own_call(client, manager):
    ticket = TicketFactory()
    own = services.post_message(ticket, direction=D.TO_CUSTOMER, channel=wf.Channel.PHONE,
                                body="经理回电", author=manager)
    client.force_login(manager)
    assert f'id="spot-check-call-{own.pk}"' not in ticket_page(client, ticket)
    response = client.post(f"{reverse(ADD)}?message={own.pk}",
                           {"message": own.pk, "score": 100, "comment": "自评"})
    assert response.status_code == 200
    assert "Nobody spot-checks a call they took themselves." in response.content.decode()
    assert not CallSpotCheck.objects.exists()
    with pytest.raises(PermissionDenied):
        services.spot_check_record(message=own, score=100, comment="自评", actor=manager)


def test_internal_notes_are_not_calls(client, clerk, manager):
    ticket = TicketFactory()
    note = services.post_message(ticket, direction=D.INTERNAL, body="内部备注", author=clerk)
    client.force_login(manager)
    assert f'id="spot-check-call-{note.pk}"' not in ticket_page(client, ticket)
    response = client.post(reverse(ADD), {"message": note.pk, "score": 70, "comment": "x"})
    assert response.status_code == 200 and not CallSpotCheck.objects.exists()


def test_whoever_took_the_call_sees_its_checks_others_do_not(client, clerk, engineer, manager,
                                                              call):
    check = services.spot_check_record(message=call, score=72, comment="语速过快",
                                       actor=manager)
    change = reverse("admin:backoffice_callspotcheck_change", args=[check.pk])
    history = reverse("admin:backoffice_callspotcheck_history", args=[check.pk])
    client.force_login(clerk)
    listing = client.get(reverse(LIST)).content.decode()
    assert "语速过快" not in listing and f"/{check.pk}/change/" in listing
    page = client.get(change)
    assert page.status_code == 200 and "语速过快" in page.content.decode()
    assert 'name="score"' not in page.content.decode()  # read only: the checker's
    assert client.get(history).status_code == 200
    assert "Spot-checked: 72 of 100" in ticket_page(client, call.ticket)
    assert client.get(reverse(ADD)).status_code == 403  # clerks do not check calls
    client.force_login(engineer)
    assert f"/{check.pk}/change/" not in client.get(reverse(LIST)).content.decode()
    assert client.get(change).status_code in (302, 404)
    assert client.get(history).status_code == 403
    assert "Spot-checked" not in ticket_page(client, call.ticket)


def test_the_list_of_checks_takes_a_bounded_number_of_queries(client, make_user, manager,
                                                              django_assert_max_num_queries):
    for i in range(12):
        clerk = make_user("clerk", f"c{i}")
        message = services.post_message(TicketFactory(), direction=D.FROM_CUSTOMER,
                                        channel=wf.Channel.PHONE, body="来电", author=clerk)
        services.spot_check_record(message=message, score=60 + i, comment="ok", actor=manager)
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        response = client.get(reverse(LIST) + "?month=" + f"{message.sent_at:%Y-%m}")
    assert response.status_code == 200 and response.content.decode().count("/change/") >= 12
