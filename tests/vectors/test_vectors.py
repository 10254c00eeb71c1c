"""The browser's crypto module and the Python client agree byte for byte (protocol v1).

Python builds the vectors (keys, key ids, fingerprints, login and wrap keys, wrapped private
keys, envelopes) with fixed randomness; Node runs frontend/src/crypto over them. Then Node
seals envelopes and Python opens them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from relay.envelopes import parse_envelope
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.vectors.build import VECTORS_FILE, build, dump

ROOT = Path(__file__).resolve().parents[2]
CHECK = Path(__file__).resolve().parent / "check.mjs"
NODE = shutil.which("node")


def node(mode: str, file: Path = VECTORS_FILE) -> dict:
    if NODE is None:
        pytest.fail("Node.js is needed to run the browser crypto module: install nodejs.")
    if not (ROOT / "frontend" / "node_modules" / "libsodium-wrappers-sumo").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=ROOT / "frontend",
            check=True,
            capture_output=True,
        )
    done = subprocess.run(
        [NODE, str(CHECK), mode, str(file)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_committed_vectors_are_what_the_python_client_makes() -> None:
    assert VECTORS_FILE.read_text(encoding="utf-8") == dump(build())


def test_browser_module_opens_derives_and_reseals_every_python_vector() -> None:
    vectors = build()
    expected = (
        4 * len(vectors["keys"])
        + len(vectors["canonical_json"])
        + 6 * len(vectors["passwords"])
        + sum(len(v["readers"]) + 6 for v in vectors["envelopes"])
    )
    assert node("verify") == {"checks": expected}


def test_python_opens_what_the_browser_module_seals() -> None:
    vectors = build()
    sealed = node("seal")
    harmed = KeyPair.from_secret(crypto.unb64(vectors["keys"]["harmed"]["secret"]))
    facilitator = KeyPair.from_secret(crypto.unb64(vectors["keys"]["facilitator"]["secret"]))
    assert len(sealed["envelopes"]) == len(vectors["envelopes"])
    for item in sealed["envelopes"]:
        envelope = item["envelope"]
        parse_envelope(envelope, max_ciphertext=1 << 20)  # the server accepts its structure
        for reader in (harmed, facilitator):
            opened = crypto.open_envelope(envelope, me=reader, sender_public_key=harmed.public)
            assert opened.payload == item["payload"]
        tampered = json.loads(json.dumps(envelope))
        tampered["header"]["kind"] = "question"
        with pytest.raises(crypto.EnvelopeOpenError):
            crypto.open_envelope(tampered, me=facilitator, sender_public_key=harmed.public)
    # The private key wrapped in the browser unwraps in Python with the same password.
    password = vectors["passwords"][1]
    params = crypto.KdfParams(crypto.unb64(password["salt"]), 1, 8 * 1024 * 1024)
    keys = crypto.derive_password_keys(
        password["password"], params, floor_opslimit=1, floor_memlimit=8 * 1024 * 1024
    )
    assert keys.login_key_b64 == sealed["wrapped"]["login_key"]
    secret = crypto.unwrap_secret_key(
        crypto.unb64(sealed["wrapped"]["nonce"]),
        crypto.unb64(sealed["wrapped"]["box"]),
        keys.wrap_key,
    )
    assert secret == harmed.secret


def test_browser_module_opens_what_a_facilitator_rewrapped_after_a_recovery(
    tmp_path: Path,
) -> None:
    """A participant's history re-encrypted to their new key by a facilitator (the Python
    client's rewrap) opens in the browser with the facilitator's key alone, and the page
    trusts the re-encryption only from a facilitator of the case."""
    vectors = build()
    item = vectors["envelopes"][0]  # from the person harmed, to them and the facilitator
    facilitator = KeyPair.from_secret(crypto.unb64(vectors["keys"]["facilitator"]["secret"]))
    harmed = KeyPair.from_secret(crypto.unb64(vectors["keys"]["harmed"]["secret"]))
    recovered = KeyPair.generate()
    envelope = json.loads(json.dumps(item["envelope"]))
    to_new_key = crypto.Recipient(recovered.key_id, recovered.public)
    envelope["keys"].append(
        crypto.rewrap_content_key(envelope, facilitator, harmed.public, to_new_key)
    )
    case = tmp_path / "rewrapped.json"
    case.write_text(
        json.dumps(
            {
                "envelope": envelope,
                "reader_secret": crypto.b64(recovered.secret),
                "wrapper_key": {
                    "key_id": facilitator.key_id,
                    "public_key": crypto.b64(facilitator.public),
                },
                "payload": item["payload"],
            }
        ),
        encoding="utf-8",
    )
    result = node("rewrapped", case)
    assert result["opened"] == item["payload"]["body"]
    assert "not trust" in result["not_a_facilitator"]
    assert "not trust" in result["unknown_wrapper"]


def test_python_refuses_what_the_browser_module_refuses() -> None:
    """Both sides hold the same Argon2id floor: the cheap vector settings need an override."""
    password = build()["passwords"][0]
    params = crypto.KdfParams(crypto.unb64(password["salt"]), 1, 8 * 1024 * 1024)
    with pytest.raises(crypto.WeakKdfParameters):
        crypto.derive_password_keys(password["password"], params)


def test_sealed_comments_open_on_the_other_side(tmp_path: Path) -> None:
    """A survey comment sealed by one side to a hub manager's key opens on the other, and
    the server's structure check accepts both; nobody else's key opens it."""
    from relay.envelopes import parse_sealed_comment

    reader = KeyPair.generate()
    sealed = crypto.seal_comment(
        recipients=[crypto.Recipient(reader.key_id, reader.public)], payload={"body": "Thank you"}
    )
    parse_sealed_comment(sealed, max_ciphertext=1 << 16)
    case = tmp_path / "comment.json"
    case.write_text(
        json.dumps({"sealed": sealed, "reader_secret": crypto.b64(reader.secret)}),
        encoding="utf-8",
    )
    result = node("comment", case)
    assert result["opened"] == "Thank you"
    parse_sealed_comment(result["sealed"], max_ciphertext=1 << 16)
    assert crypto.open_comment(result["sealed"], me=reader) == {"body": "Thank you (and back)"}
    with pytest.raises(crypto.EnvelopeOpenError):
        crypto.open_comment(result["sealed"], me=KeyPair.generate())


def test_referrals_and_the_intake_key_open_on_the_other_side(tmp_path: Path) -> None:
    """An intake key sealed to a holder and a referral sealed to it by one side open on the
    other; the browser's proof of work is the one the server checks; the server's structure
    check accepts both referrals."""
    from relay.envelopes import parse_sealed_comment
    from relay.referrals.proof import leading_zero_bits

    holder, intake = KeyPair.generate(), KeyPair.generate()
    payload = {"what_happened": "My bike was taken", "reported_to_police": "yes"}
    referral = crypto.seal_referral(intake_public_key=intake.public, payload=payload)
    parse_sealed_comment(referral, max_ciphertext=1 << 16, kind="referral")
    case = tmp_path / "intake.json"
    challenge = "v1.12.00112233445566778899aabbccddeeff.1700000000.0123456789abcdef"
    case.write_text(
        json.dumps(
            {
                "holder_secret": crypto.b64(holder.secret),
                "sealed_secret": crypto.b64(crypto.seal_secret_to(intake.secret, holder.public)),
                "referral": referral,
                "challenge": challenge,
                "difficulty": 12,
            }
        ),
        encoding="utf-8",
    )
    result = node("intake", case)
    assert result["opened"] == payload
    parse_sealed_comment(result["referral"], max_ciphertext=1 << 16, kind="referral")
    assert crypto.open_referral(result["referral"], intake_key=intake) == {**payload, "back": True}
    reopened = crypto.open_sealed_secret(crypto.unb64(result["sealed_secret"]), me=holder)
    assert reopened.secret == intake.secret
    digest = hashlib.sha256(f"{challenge}:{result['nonce']}".encode()).digest()
    assert leading_zero_bits(digest) >= 12
    assert result["nonce"] == crypto.solve_proof(challenge, 12)
