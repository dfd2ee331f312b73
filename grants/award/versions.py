"""Agreement versions: version 1 at signing, one more per applied amendment. Each version's hash
covers the previous version's hash and its own terms, so changing any version's terms, or
dropping or reordering one, breaks every hash after it (`agreement_verify`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from grants.models import Agreement, AgreementVersion


def canonical(terms: dict) -> str:
    return json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def chain_hash(terms: dict, previous: str) -> str:
    return hashlib.sha256((previous + "\n" + canonical(terms)).encode("utf-8")).hexdigest()


def version_add(agreement: Agreement, terms: dict, *, amendment=None, changes=None) -> AgreementVersion:
    """The next version of `agreement` (the caller holds the agreement's row lock)."""
    last = agreement.versions.order_by("-number").first()
    previous = last.content_hash if last else ""
    return AgreementVersion.objects.create(
        agreement=agreement,
        number=(last.number + 1) if last else 1,
        terms=terms,
        previous_hash=previous,
        content_hash=chain_hash(terms, previous),
        amendment=amendment,
        changes=changes or [],
    )


def current_terms(agreement: Agreement) -> dict:
    last = agreement.versions.order_by("-number").first()
    return last.terms if last else agreement.terms


@dataclass
class Problem:
    agreement: str
    version: int
    what: str


def verify_agreement(agreement: Agreement) -> list[Problem]:
    """Each version's hash recomputed from its terms and the previous hash; each stored PDF
    against its recorded SHA-256; version 1 against the agreement's own terms."""
    problems = []
    previous = ""
    versions = list(agreement.versions.order_by("number"))
    for expected, version in enumerate(versions, start=1):
        if version.number != expected:
            problems.append(Problem(agreement.number, version.number, f"version {expected} is missing"))
        if version.previous_hash != previous:
            problems.append(Problem(agreement.number, version.number, "previous hash does not match"))
        if chain_hash(version.terms, previous) != version.content_hash:
            problems.append(Problem(agreement.number, version.number, "terms do not match their hash"))
        if version.pdf and version.pdf_sha256:
            with version.pdf.open("rb") as handle:
                if hashlib.sha256(handle.read()).hexdigest() != version.pdf_sha256:
                    problems.append(Problem(agreement.number, version.number, "PDF does not match its hash"))
        previous = version.content_hash
    if versions and canonical(versions[0].terms) != canonical(agreement.terms):
        problems.append(Problem(agreement.number, 1, "version 1 differs from the terms signed"))
    from grants.award.agreement import terms_hash

    if terms_hash(agreement.terms) != agreement.content_hash:
        problems.append(Problem(agreement.number, 1, "signed terms do not match their hash"))
    return problems


def verify_all() -> list[Problem]:
    problems = []
    for agreement in Agreement.objects.prefetch_related("versions").order_by("pk"):
        problems += verify_agreement(agreement)
    return problems
