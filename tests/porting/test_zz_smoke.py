import pytest
from porting import services
from porting.models import PortRequest

def test_smoke(client, org, upload_loa, reviewer, fast_carrier, django_capture_on_commit_callbacks):
    url = upload_loa(client)
    r = client.post("/api/v1/numbers/porting", {"numbers": ["+12015550123"], "currentCarrier": "Acme", "country": "US",
        "loaFileUrl": url, "accountNumber": "A1", "accountPin": "9911", "authorizedSigner": "Jo"}, format="json")
    print(r.json())
    assert r.status_code == 201
    pid = r.json()["data"]["id"]
    services.port_request_loa_approve(port_request_id=pid, acting_user=reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        r = client.post(f"/api/v1/numbers/porting/{pid}/refresh")
    print(r.json())
    r = client.get(f"/api/v1/numbers/porting/{pid}/timeline")
    print(r.json())
