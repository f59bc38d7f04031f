"""The Spyne service: the contract's operations over AgencySimulator.

Thin on purpose: authenticate, turn Spyne objects into the plain dicts the
mapping reads, call the core, turn refusals into SOAP Client faults.
"""
from __future__ import annotations

import logging
from typing import Any

from spyne import Application, Boolean, Fault, Integer, ServiceBase, Unicode, rpc
from spyne import const as spyne_const
from spyne.protocol.soap import Soap11

from mappings.mediafinanz import contract
from mappings.mediafinanz.claims import parse_new_claim
from mappings.mediafinanz.court import parse_amounts

from . import soap_types as t
from .core import AgencySimulator, SimError

# These Spyne loggers print request content (debtor data, licence keys): whole
# envelopes at DEBUG, invalid documents and values at ERROR, client faults with
# tracebacks. Only they are silenced; Spyne's server-side errors still log.
_REQUEST_DATA_LOGGERS = ("spyne.protocol.soap.soap11", "spyne.protocol.soap.soap11.invalid",
                         "spyne.protocol.xml", "spyne.protocol.xml.invalid",
                         "spyne.protocol._inbase", "spyne.protocol._outbase",
                         "spyne.application.client", "spyne.server.wsgi")
for _name in _REQUEST_DATA_LOGGERS:
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def _sim(ctx) -> AgencySimulator:
    return ctx.app.simulator


def _client(ctx, auth) -> int:
    if auth is None or auth.clientId is None:
        raise Fault(faultcode=contract.FAULT_AUTH, faultstring="Authentifizierung fehlgeschlagen")
    try:
        _sim(ctx).authenticate(auth.clientId, auth.licenceKey)
    except SimError as exc:
        raise Fault(faultcode=exc.code, faultstring=str(exc)) from None
    return int(auth.clientId)


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    return {name: getattr(obj, name, None) for name in type(obj)._type_info}


def _amounts_dict(amounts: Any) -> dict[str, Any] | None:
    if amounts is None:
        return None
    argument = _as_dict(amounts)
    if argument.get("interest") is not None:
        argument["interest"] = _as_dict(argument["interest"])
    return argument


def _call(fn, *args):
    try:
        return fn(*args)
    except SimError as exc:
        raise Fault(faultcode=exc.code, faultstring=str(exc)) from None


class MediafinanzEncashment(ServiceBase):
    @rpc(t.Auth, t.Claim, t.Debtor, _returns=t.NewClaimResult)
    def newClaim(ctx, auth, claim, debtor):
        client = _client(ctx, auth)
        try:
            content = parse_new_claim(_as_dict(claim), _as_dict(debtor))
        except (KeyError, ValueError, TypeError) as exc:
            return t.NewClaimResult(errorList=[f"Ungültige Forderungsdaten: {type(exc).__name__}"])
        number, errors = _sim(ctx).new_claim(client, content)
        return t.NewClaimResult(fileNumber=number, errorList=errors or None)

    @rpc(t.Auth, t.ClaimIdentifier, _returns=t.ClaimStatus)
    def getClaimStatus(ctx, auth, claim):
        code, text, details = _call(_sim(ctx).status, _client(ctx, auth), claim.fileNumber)
        return t.ClaimStatus(statusCode=code, statusText=text, statusDetails=details)

    @rpc(t.Auth, _returns=t.ClaimStatusChanges)
    def getClaimStatusChanges(ctx, auth):
        tid, changes = _sim(ctx).status_changes(_client(ctx, auth))
        return t.ClaimStatusChanges(transactionId=tid,
                                    change=[t.StatusChange(**c) for c in changes] or None)

    @rpc(t.Auth, Unicode(min_occurs=1, nillable=False), _returns=Boolean)
    def commitTransaction(ctx, auth, transactionId):
        return _sim(ctx).commit(_client(ctx, auth), transactionId)

    @rpc(t.Auth, t.ClaimIdentifier, _returns=t.ClaimHistory)
    def getClaimHistory(ctx, auth, claim):
        entries = _call(_sim(ctx).history, _client(ctx, auth), claim.fileNumber)
        return t.ClaimHistory(entry=[t.JournalEntry(time=at, subject=s, details=d)
                                     for at, s, d in entries] or None)

    @rpc(t.Auth, t.ClaimIdentifier, _returns=t.AccountingSummary)
    def getClaimAccountingSummary(ctx, auth, claim):
        summary = _call(_sim(ctx).accounting, _client(ctx, auth), claim.fileNumber)
        history = [t.PayoutEntry(**p) for p in summary.pop("payoutHistory")]
        return t.AccountingSummary(payoutHistory=history or None, **summary)

    @rpc(t.Auth, t.ClaimIdentifier, _returns=t.ClaimOptions)
    def getClaimOptions(ctx, auth, claim):
        return t.ClaimOptions(**_call(_sim(ctx).options, _client(ctx, auth), claim.fileNumber))

    @rpc(t.Auth, t.ClaimIdentifier, _returns=Boolean)
    def closeClaim(ctx, auth, claim):
        _call(_sim(ctx).close, _client(ctx, auth), claim.fileNumber)
        return True

    @rpc(t.Auth, t.ClaimIdentifier, t.DirectPayment, _returns=Boolean)
    def bookDirectPayment(ctx, auth, claim, directPayment):
        _call(_sim(ctx).direct_payment, _client(ctx, auth), claim.fileNumber,
              directPayment.dateOfPayment, directPayment.paidAmount)
        return True

    @rpc(t.Auth, t.ClaimIdentifier, Integer(min_occurs=1, nillable=False, ge=1, le=3),
         t.CourtDunningAmounts.customize(min_occurs=0, nillable=False), _returns=Boolean)
    def instructLawyer(ctx, auth, claim, instruction, amounts):  # contract.LAWYER_OPERATION
        client = _client(ctx, auth)
        try:
            parsed = parse_amounts(_amounts_dict(amounts))
        except (KeyError, ValueError, TypeError) as exc:
            raise Fault(faultcode=contract.FAULT_NOT_ALLOWED,
                        faultstring=f"Ungültige Forderungsaufstellung: {type(exc).__name__}") \
                from None
        _call(_sim(ctx).instruct_lawyer, client, claim.fileNumber, instruction, parsed)
        return True

    @rpc(t.Auth, _returns=t.PayoutList)
    def getPayoutList(ctx, auth):
        payouts = _sim(ctx).payouts(_client(ctx, auth))
        return t.PayoutList(payout=[t.PayoutEntry(**p) for p in payouts] or None)


# Spyne forces a full gc.collect() up to once a second after requests. With the
# simulator's claims in memory (100,000 in the sync benchmark) that stops every
# thread for long enough to make the simulator, not its latency, the bound.
spyne_const.MIN_GC_INTERVAL = float("inf")


class _Soap11(Soap11):
    """Soap11 with a plain dict in front of Spyne's per-type attribute cache.

    Spyne looks the cache up ~60 times per request, each time with a debug log call
    and len() of a WeakKeyDictionary: about a sixth of the simulator's CPU per request.
    The service's types live as long as the process, so nothing needs the weak keys.
    (Our types set no prot_attrs, so that Spyne keys those by protocol class is moot.)
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cls_attrs: dict = {}

    def get_cls_attrs(self, cls):
        try:
            return self._cls_attrs[cls]
        except KeyError:
            attrs = self._cls_attrs[cls] = super().get_cls_attrs(cls)
            return attrs


def build_application(simulator: AgencySimulator) -> Application:
    """A Spyne Application bound to one simulator (several can run in one process)."""
    app = Application([MediafinanzEncashment], tns=contract.NAMESPACE,
                      name=contract.SERVICE_NAME,
                      in_protocol=_Soap11(validator="lxml"), out_protocol=_Soap11())
    app.simulator = simulator
    return app


def interface_document(application: Application, url: str) -> bytes:
    """The WSDL Spyne builds for the service, with `url` as the endpoint address.

    wsdl/agencies/mediafinanz/mediafinanz.wsdl is this document, cleaned (unused
    namespaces dropped, comments added); tests/agencies checks they still agree.
    """
    from spyne.interface.wsdl import Wsdl11

    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(url)
    return wsdl.get_interface_document()
