// The scenario of tests/shop_api/clients/matrix.py with the ASMX proxy (SoapHttpClientProtocol)
// that Mono's `wsdl` tool generated from the facade's live WSDL, used as a .NET shop backend
// would: typed calls, `Credentials` without PreAuthenticate (the password goes out after the
// server's 401 challenge), faults caught as SoapException with their <detail>. Prints one JSON
// object.
//
// Usage: mono client.exe input.json
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Web.Script.Serialization;
using System.Web.Services.Protocols;
using System.Xml;

public static class Client
{
    static readonly Dictionary<string, object> Out = new Dictionary<string, object>();
    static Dictionary<string, object> In;

    public static int Main(string[] args)
    {
        In = (Dictionary<string, object>)new JavaScriptSerializer().DeserializeObject(
            File.ReadAllText(args[0], Encoding.UTF8));
        var shop = Port(Input("shop"), Input("password"));
        var today = Date(Input("today"));

        long firstId = -1;
        Step("SubmitClaim", () => shop.SubmitClaim(new SubmitClaim { claim = NewClaim("C-1", 1234567.89m) }).receipt,
             r => { firstId = r.claimId; return Map("created", Text(r.created), "status", r.status); });
        Step("SubmitClaim.same", () => shop.SubmitClaim(new SubmitClaim { claim = NewClaim("C-1", 1234567.89m) }).receipt,
             r => Map("created", Text(r.created), "sameClaimId", Text(r.claimId == firstId)));
        Step("SubmitClaim.changed", () => shop.SubmitClaim(new SubmitClaim { claim = NewClaim("C-1", 10.00m) }), Answered);
        Step("SubmitClaim.invalid", () => {
            var c = NewClaim("C-2", 0.00m);
            c.debtor.postcode = "123";
            c.debtor.email = "nope";
            return shop.SubmitClaim(new SubmitClaim { claim = c });
        }, Answered);
        Step("SubmitClaim.schema", () => shop.SubmitClaim(new SubmitClaim { claim = NewClaim("C-3", 1.234m) }), Answered);
        Step("SubmitClaim.tooLarge", () => {
            var c = NewClaim("C-4", 1.00m);
            c.note = new string('x', int.Parse(Input("tooLargeNoteLength")));
            return shop.SubmitClaim(new SubmitClaim { claim = c });
        }, Answered);
        Step("SubmitClaim.malformed", () => {
            var c = NewClaim("C-5", 1.00m);
            c.reason = "Bestellung \u0001";
            return shop.SubmitClaim(new SubmitClaim { claim = c });
        }, Answered);

        Step("SubmitClaims", () => {
            var badPostcode = NewClaim("B-2", 20.00m);
            badPostcode.debtor.postcode = "12";
            return shop.SubmitClaims(new SubmitClaims { claims = new[] {
                NewClaim("B-0", 20.00m), NewClaim("B-1", 1.999m), badPostcode, NewClaim("B-0", 20.00m) } });
        }, answer => Map("results", (answer.results ?? new ClaimResult[0]).Select(r => r.receipt != null
            ? (object)Map("index", r.index, "created", Text(r.receipt.created))
            : Map("index", r.index, "code", r.error.code,
                  "paths", (r.error.fieldErrors ?? new FieldError[0]).Select(e => (object)e.path).ToList())).ToList()));

        Step("GetClaim", () => shop.GetClaim(new GetClaim { shopClaimId = "C-1" }).claim, v => Map(
            "principal", Text(v.claim.principal), "dunningFees", Text(v.claim.dunningFees),
            "dateOfOrigin", Text(v.claim.dateOfOrigin), "dateOfBirth", Text(v.claim.debtor.dateOfBirth),
            "lastName", v.claim.debtor.lastName, "street", v.claim.debtor.street, "city", v.claim.debtor.city,
            "state", v.state, "outstanding", Text(v.accounting.outstanding)));
        Step("ReportDirectPayment", () => shop.ReportDirectPayment(new ReportDirectPayment {
            shopClaimId = "C-1", paidOn = today, amount = 20.50m }).receipt,
             r => Map("status", r.status, "created", Text(r.created)));
        Step("ReportDirectPayment.invalid", () => shop.ReportDirectPayment(new ReportDirectPayment {
            shopClaimId = "C-1", paidOn = today, amount = 0.00m }), Answered);
        Step("GetClaimHistory", () => shop.GetClaimHistory(new GetClaimHistory { shopClaimId = "C-1" }).history,
             h => Map("events", (h.events ?? new HistoryEvent[0]).Select(e => (object)e.what).ToList()));
        Step("CancelClaim", () => shop.CancelClaim(new CancelClaim { shopClaimId = "B-0", reason = "Kunde hat gezahlt" }).receipt,
             r => Map("status", r.status));

        Step("ListClaimChanges", () => {
            var seen = new List<object>();
            string cursor = null;
            for (int pages = 1; pages <= 20; pages++) {
                var page = shop.ListClaimChanges(new ListClaimChanges { since = cursor, limit = "2" }).result;
                var items = page.changes ?? new ClaimChange[0];
                foreach (var c in items) seen.Add(c.sequence + " " + c.shopClaimId + " " + c.@event.what);
                if (items.Length == 0)
                    return Map("changes", seen, "pages", pages.ToString(CultureInfo.InvariantCulture),
                               "cursorKept", Text(page.nextCursor == cursor));
                cursor = page.nextCursor;
            }
            throw new InvalidOperationException("ListClaimChanges never returned an empty page");
        }, r => r);
        Step("ListClaimChanges.badCursor", () => shop.ListClaimChanges(new ListClaimChanges { since = "not-a-cursor" }), Answered);

        Step("CheckCourtDunningOrder", () => shop.CheckCourtDunningOrder(new CheckCourtDunningOrder { shopClaimId = "C-1" }).preflight, Preflight);
        Step("RequestCourtDunningOrder.refused", () => shop.RequestCourtDunningOrder(new RequestCourtDunningOrder {
            shopClaimId = "C-1", instruction = RequestCourtDunningOrder_instructionType.DUNNING_ONLY,
            requestedBy = "Frau Kaiser" }), Answered);
        var ready = Input("readyClaim");
        Step("CheckCourtDunningOrder.ready", () => shop.CheckCourtDunningOrder(new CheckCourtDunningOrder { shopClaimId = ready }).preflight, Preflight);
        Step("RequestCourtDunningOrder", () => shop.RequestCourtDunningOrder(new RequestCourtDunningOrder {
            shopClaimId = ready, instruction = RequestCourtDunningOrder_instructionType.DUNNING_THEN_LAWSUIT,
            requestedBy = "Frau Kaiser", note = "nach Rücksprache" }).receipt,
             r => Map("status", r.status, "agencyFileNumber", r.agencyFileNumber));
        Step("RequestCourtDunningOrder.again", () => shop.RequestCourtDunningOrder(new RequestCourtDunningOrder {
            shopClaimId = ready, instruction = RequestCourtDunningOrder_instructionType.DUNNING_ONLY,
            requestedBy = "Frau Kaiser" }), Answered);
        Step("GetClaim.unknown", () => shop.GetClaim(new GetClaim { shopClaimId = "nope" }), Answered);
        Step("GetClaim.otherShop", () => Port(Input("otherShop"), Input("otherPassword")).GetClaim(
            new GetClaim { shopClaimId = "C-1" }), Answered);
        Step("GetClaim.wrongPassword", () => Port(Input("shop"), Input("wrongPassword")).GetClaim(
            new GetClaim { shopClaimId = "C-1" }), Answered);
        Step("GetClaim.noCredentials", () => Port(null, null).GetClaim(new GetClaim { shopClaimId = "C-1" }), Answered);
        Step("GetClaim.databaseDown", () => {
            var down = Port(Input("shop"), Input("password"));
            down.Url = Input("unavailableEndpoint");
            return down.GetClaim(new GetClaim { shopClaimId = "C-1" });
        }, Answered);

        var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        stdout.WriteLine(new JavaScriptSerializer().Serialize(Out));
        stdout.Flush();
        return 0;
    }

    /// The proxy on the test's facade (the generated default is the address at generation time).
    static ShopService Port(string user, string password)
    {
        var port = new ShopService { Url = Input("endpoint"), Timeout = 30000 };
        if (user != null) port.Credentials = new NetworkCredential(user, password);
        return port;
    }

    static Claim NewClaim(string shopClaimId, decimal principal)
    {
        return new Claim {
            shopClaimId = shopClaimId, claimType = Claim_claimTypeType.GOODS_SOLD,
            reason = "2 x Wanderschuhe Größe 44", principal = principal,
            dunningFees = 5.00m, dunningFeesSpecified = true, currency = "EUR",
            dateOfOrigin = Date(Input("dateOfOrigin")),
            dueDate = Date(Input("dueDate")), dueDateSpecified = true,
            dateOfLastReminder = Date(Input("dateOfLastReminder")), dateOfLastReminderSpecified = true,
            note = "reagiert nicht",
            counterPerformanceRendered = true, counterPerformanceRenderedSpecified = true,
            debtor = new Debtor {
                kind = Debtor_kindType.PERSON, salutation = Debtor_salutationType.MS, salutationSpecified = true,
                firstName = "Jürgen", lastName = "Müller-Lüdenscheidt", street = "Große Straße",
                houseNumber = "12a", postcode = "80331", city = "München", country = "DE",
                email = "j.mueller@example.de", dateOfBirth = Date("1980-02-29"), dateOfBirthSpecified = true,
            },
        };
    }

    static Dictionary<string, object> Preflight(CourtDunningPreflight p)
    {
        return Map("allowed", Text(p.allowed),
                   "reasons", (p.reasons ?? new Finding[0]).Select(f => (object)f.code).ToList());
    }

    static void Step<T>(string key, Func<T> call, Func<T, Dictionary<string, object>> pick)
    {
        T answer;
        try {
            answer = call();
        } catch (Exception e) {
            Out[key] = Fault(e);
            return;
        }
        Out[key] = pick(answer);
    }

    static Dictionary<string, object> Answered(object answer)
    {
        return Map("answered", answer == null ? "null" : answer.GetType().Name);
    }

    /// A fault as the matrix reports it; anything else is a bug of this program and is thrown.
    static Dictionary<string, object> Fault(Exception e)
    {
        var soap = e as SoapException;
        if (soap != null) {
            XmlElement detail = soap.Detail == null ? null
                : soap.Detail.ChildNodes.OfType<XmlElement>().FirstOrDefault();
            var paths = new List<object>();
            var reasons = new List<object>();
            if (detail != null) {
                foreach (XmlElement path in detail.GetElementsByTagName("path", "*")) paths.Add(path.InnerText);
                foreach (var reason in detail.ChildNodes.OfType<XmlElement>().Where(n => n.LocalName == "reason")) {
                    var code = reason.ChildNodes.OfType<XmlElement>().FirstOrDefault(n => n.LocalName == "code");
                    reasons.Add(code != null ? code.InnerText : reason.InnerText);
                }
            }
            return Map("fault", soap.Code.Name, "detail", detail == null ? null : detail.LocalName,
                       "paths", paths, "reasons", reasons);
        }
        var web = e as WebException;
        var response = web == null ? null : web.Response as HttpWebResponse;
        if (response != null) return Map("http", ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        throw new Exception("unexpected error", e);
    }

    // -- values and input ------------------------------------------------------------------
    static string Input(string key) { return (string)In[key]; }

    static DateTime Date(string iso)
    {
        return DateTime.ParseExact(iso, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    static string Text(bool value) { return value ? "true" : "false"; }
    static string Text(decimal value) { return value.ToString(CultureInfo.InvariantCulture); }
    static string Text(DateTime value) { return value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture); }

    static Dictionary<string, object> Map(params object[] keysAndValues)
    {
        var map = new Dictionary<string, object>();
        for (int i = 0; i < keysAndValues.Length; i += 2) map[(string)keysAndValues[i]] = keysAndValues[i + 1];
        return map;
    }
}
