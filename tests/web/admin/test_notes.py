"""Notes that scale: an SFTP drop with 20% fewer students is Held, and the web pages say
why and what to do first ("Held: this upload removes 201 of 1,005 students …"), then the
counts ("201 students removed, with their 402 enrollments"), the per-record detail only in
a <details>, and no command-line advice; the command line keeps its sentences."""

from __future__ import annotations

from rosterport.csvio.sources import SourceFile
from rosterport.domain.version_status import HELD, PENDING
from rosterport.services import (
    deliveries,
    hosted_accounts,
    upload_commit,
    upload_validation,
    uploads,
)
from rosterport.services.notifications import list_notifications
from tests.conftest import district
from tests.web.conftest import Site, sign_in

STUDENTS = 1005
REASON = (
    "this upload removes 201 of 1,005 students (20%, more than the 10% allowed) "
    "and 402 of 2,010 enrollments (20%, more than the 10% allowed). "
    "Approve it if that is right, or discard it"
)
GROUP = "201 students removed, with their 402 enrollments"


def big_district(students: int) -> list[SourceFile]:
    """The valid district with `students` students at school 02M800, two enrollments each."""
    files = district()
    header, first = files["students.csv"].decode().splitlines()[:2]
    cells = first.split(",")
    rows, enrollments = [header], ["School_id,Student_id,Section_id"]
    for n in range(students):
        sid = str(500000000 + n)
        row = list(cells)
        row[1] = row[2] = row[3] = sid
        row[14] = f"s{n}@example.org"
        row[19] = f"student{n}"
        rows.append(",".join(row))
        enrollments += [f"02M800,{sid},642", f"02M800,{sid},667"]
    files["students.csv"] = ("\n".join(rows) + "\n").encode()
    files["enrollments.csv"] = ("\n".join(enrollments) + "\n").encode()
    return [SourceFile.of(name, data) for name, data in files.items()]


def test_a_held_drop_says_why_and_what_to_do_first(site: Site) -> None:
    feed = hosted_accounts.add_hosted_account(
        site.hub, site.home, login="nightly", password="a-long-password"
    )
    first = deliveries.process_delivery(site.hub, feed, big_district(STUDENTS))
    assert first.status == PENDING
    held = deliveries.process_delivery(site.hub, feed, big_district(STUDENTS - 201))
    assert held.status == HELD
    message = list_notifications(site.hub, site.home)[0].message
    assert message.startswith("Held: " + REASON)
    assert GROUP[:1].upper() + GROUP[1:] in message
    assert "also removes its" not in message
    assert "--allow-deletions" not in message
    # the SFTP result file and the command line keep every sentence and the flag
    assert any("--allow-deletions" in n for n in held.to_json()["notes"])
    assert sum("also removes its" in n for n in held.to_json()["notes"]) == 201

    sign_in(site.client, "admin@springfield.example")
    pages = {
        name: site.client.get(f"/orgs/springfield{path}").text
        for name, path in (("home", ""), ("history", "/history"), ("gallery", "/apps"))
    }
    for name, page in pages.items():
        assert "--allow-deletions" not in page, name
        assert REASON in page, name
    row = pages["history"].split(f'id="v{held.version}"')[1].split("</tr>")[0]
    assert f"<summary>{GROUP[:1].upper()}{GROUP[1:]}</summary>" in row
    detail = row.split('<details class="cascade">')[1].split("</details>")[0]
    assert detail.count("also removes its 2 enrollments") == 201  # on demand only
    assert row.count("also removes its") == 201
    home = pages["home"].split('id="todo"')[1].split("</section>")[0]
    assert home.index("Held") < home.index(REASON) < home.index(f"Version {held.version} of")


def test_verify_changes_counts_the_knock_on_removals(site: Site) -> None:
    headers = site.token()
    org = site.home
    session = uploads.start(site.hub, org, "passport-roster")
    uploads.add_files(site.hub, org, session.id, big_district(STUDENTS))
    upload_validation.run_validation(site.hub, org, session.id, committed_by="t", source="api")
    upload_commit.commit(site.hub, org, session.id, committed_by="t", source="api")
    started = site.client.post(
        "/api/v1/orgs/springfield/uploads", json={"model": "passport-roster"}, headers=headers
    ).json()
    for file in big_district(STUDENTS - 201):
        answer = site.client.put(
            f"/api/v1/orgs/springfield/uploads/{started['id']}/files/{file.name}",
            content=file.data,
            headers=headers,
        )
        assert answer.status_code < 300, answer.text
    base = f"/api/v1/orgs/springfield/uploads/{started['id']}"
    assert site.client.post(f"{base}/validate", headers=headers).status_code == 200
    changes = site.client.post(f"{base}/changes", headers=headers).json()
    [cascade] = changes["cascades"]
    assert cascade["sentence"] == GROUP
    assert len(cascade["detail"]) == 201
    [students, enrollments] = sorted(changes["safeguards"], key=lambda s: s["file"], reverse=True)
    assert students["reason"] == REASON.split(" and ", maxsplit=1)[0]
    assert "--allow-deletions" not in students["reason"]
    assert "--allow-deletions" in students["message"]  # the API's own words stay
    assert enrollments["file"] == "enrollments.csv"
