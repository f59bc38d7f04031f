"""Stored claims keep their fingerprint: a resubmission is compared against it, so the
canonical form may not drift when the fingerprint code is made faster."""
from datetime import date
from decimal import Decimal

from gateway.domain.fingerprint import content_fingerprint
from gateway.domain.model import ClaimContent, ClaimType, Debtor, DebtorKind, Salutation


def _content(**changes) -> ClaimContent:
    debtor = Debtor(kind=DebtorKind.PERSON, last_name="Müller", first_name="Jürgen",
                    salutation=Salutation.MS, street="Große Straße", house_number="12a",
                    postcode="80331", city="München", country="DE", email="j@x.de", company="")
    values = dict(shop_claim_id="X1", claim_type=ClaimType.GOODS_SOLD, reason="r",
                  principal=Decimal("149.90"), dunning_fees=Decimal("5.00"),
                  date_of_origin=date(2025, 9, 1), due_date=None, date_of_last_reminder=None,
                  note="", counter_performance_rendered=True, debtor=debtor, currency="EUR")
    values.update(changes)
    return ClaimContent(**values)


def test_the_fingerprint_of_known_content_is_unchanged():
    # Pinned from the asdict-based implementation the stored fingerprints were made with.
    assert content_fingerprint(_content()) == \
        "325463e8c7b3f36c2edf0300eec882ed5170affddae11e00c901f66c4968e51a"


def test_empty_and_missing_optional_fields_count_as_the_same():
    assert content_fingerprint(_content(note="")) == content_fingerprint(_content(note=None))
    assert content_fingerprint(_content(note="x")) != content_fingerprint(_content(note=None))
