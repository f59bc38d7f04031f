import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.bind.JAXBContext;
import javax.xml.bind.JAXBElement;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.namespace.QName;
import javax.xml.transform.dom.DOMResult;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.WebFault;
import javax.xml.ws.WebServiceException;
import javax.xml.ws.soap.SOAPFaultException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import shop.*;

/**
 * The scenario of tests/shop_api/clients/matrix.py with a JAX-WS RI client that wsimport
 * generated from the facade's live WSDL (package shop), used as a Java shop backend would:
 * typed calls, HTTP Basic through BindingProvider, declared faults caught as the checked
 * exceptions wsimport generated. Prints one JSON object.
 *
 * Usage: java Client input.json
 */
public class Client {
    interface Call<T> { T run() throws Exception; }
    interface Pick<T> { Map<String, Object> of(T answer) throws Exception; }

    static final Map<String, Object> out = new LinkedHashMap<>();
    static Map<String, String> in;

    public static void main(String[] args) throws Exception {
        in = readFlatJson(new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8));
        ShopService shop = port(in.get("shop"), in.get("password"));
        XMLGregorianCalendar today = date(in.get("today"));

        Object[] firstId = new Object[1];
        step("SubmitClaim", () -> shop.submitClaim(claim("C-1", "1234567.89")), r -> {
            firstId[0] = r.getClaimId();
            return map("created", text(r.isCreated()), "status", r.getStatus());
        });
        step("SubmitClaim.same", () -> shop.submitClaim(claim("C-1", "1234567.89")),
             r -> map("created", text(r.isCreated()),
                      "sameClaimId", text(firstId[0] != null && firstId[0].equals(r.getClaimId()))));
        step("SubmitClaim.changed", () -> shop.submitClaim(claim("C-1", "10.00")), Client::answered);
        step("SubmitClaim.invalid", () -> {
            Claim c = claim("C-2", "0.00");
            c.getDebtor().setPostcode("123");
            c.getDebtor().setEmail("nope");
            return shop.submitClaim(c);
        }, Client::answered);
        step("SubmitClaim.schema", () -> shop.submitClaim(claim("C-3", "1.234")), Client::answered);
        step("SubmitClaim.tooLarge", () -> {
            Claim c = claim("C-4", "1.00");
            c.setNote("x".repeat(Integer.parseInt(in.get("tooLargeNoteLength"))));
            return shop.submitClaim(c);
        }, Client::answered);
        step("SubmitClaim.malformed", () -> {
            Claim c = claim("C-5", "1.00");
            c.setReason("Bestellung \u0001");
            return shop.submitClaim(c);
        }, Client::answered);

        step("SubmitClaims", () -> {
            ClaimArray batch = new ClaimArray();
            Claim badPostcode = claim("B-2", "20.00");
            badPostcode.getDebtor().setPostcode("12");
            batch.getClaim().add(claim("B-0", "20.00"));
            batch.getClaim().add(claim("B-1", "1.999"));
            batch.getClaim().add(badPostcode);
            batch.getClaim().add(claim("B-0", "20.00"));
            return shop.submitClaims(batch);
        }, answer -> {
            List<Object> results = new ArrayList<>();
            for (ClaimResult r : answer.getResult()) {
                if (r.getReceipt() != null) {
                    results.add(map("index", text(r.getIndex()), "created", text(r.getReceipt().isCreated())));
                } else {
                    List<Object> paths = new ArrayList<>();
                    if (r.getError().getFieldErrors() != null)
                        for (FieldError e : r.getError().getFieldErrors().getFieldError()) paths.add(e.getPath());
                    results.add(map("index", text(r.getIndex()), "code", r.getError().getCode(), "paths", paths));
                }
            }
            return map("results", results);
        });

        step("GetClaim", () -> shop.getClaim("C-1"), v -> map(
            "principal", text(v.getClaim().getPrincipal()), "dunningFees", text(v.getClaim().getDunningFees()),
            "dateOfOrigin", text(v.getClaim().getDateOfOrigin()),
            "dateOfBirth", text(v.getClaim().getDebtor().getDateOfBirth()),
            "lastName", v.getClaim().getDebtor().getLastName(), "street", v.getClaim().getDebtor().getStreet(),
            "city", v.getClaim().getDebtor().getCity(), "state", v.getState(),
            "outstanding", text(v.getAccounting().getOutstanding())));
        step("ReportDirectPayment", () -> shop.reportDirectPayment("C-1", today, new BigDecimal("20.50")),
             r -> map("status", r.getStatus(), "created", text(r.isCreated())));
        step("ReportDirectPayment.invalid",
             () -> shop.reportDirectPayment("C-1", today, new BigDecimal("0.00")), Client::answered);
        step("GetClaimHistory", () -> shop.getClaimHistory("C-1"), h -> {
            List<Object> events = new ArrayList<>();
            for (HistoryEvent e : h.getEvents().getEvent()) events.add(e.getWhat());
            return map("events", events);
        });
        step("CancelClaim", () -> shop.cancelClaim("B-0", "Kunde hat gezahlt"), r -> map("status", r.getStatus()));

        step("ListClaimChanges", () -> {
            List<Object> seen = new ArrayList<>();
            String cursor = null;
            for (int pages = 1; pages <= 20; pages++) {
                ClaimChanges page = shop.listClaimChanges(cursor, BigInteger.valueOf(2));
                List<ClaimChange> items = page.getChanges() == null ? List.of() : page.getChanges().getChange();
                for (ClaimChange c : items)
                    seen.add(c.getSequence() + " " + c.getShopClaimId() + " " + c.getEvent().getWhat());
                if (items.isEmpty())
                    return map("changes", seen, "pages", text(pages),
                               "cursorKept", text(page.getNextCursor().equals(cursor)));
                cursor = page.getNextCursor();
            }
            throw new IllegalStateException("ListClaimChanges never returned an empty page");
        }, r -> r);
        step("ListClaimChanges.badCursor", () -> shop.listClaimChanges("not-a-cursor", null), Client::answered);

        step("CheckCourtDunningOrder", () -> shop.checkCourtDunningOrder("C-1"), Client::preflight);
        step("RequestCourtDunningOrder.refused", () -> shop.requestCourtDunningOrder(
            "C-1", RequestCourtDunningOrderInstructionType.DUNNING_ONLY, "Frau Kaiser", null), Client::answered);
        String ready = in.get("readyClaim");
        step("CheckCourtDunningOrder.ready", () -> shop.checkCourtDunningOrder(ready), Client::preflight);
        step("RequestCourtDunningOrder", () -> shop.requestCourtDunningOrder(
            ready, RequestCourtDunningOrderInstructionType.DUNNING_THEN_LAWSUIT, "Frau Kaiser", "nach Rücksprache"),
             r -> map("status", r.getStatus(), "agencyFileNumber", r.getAgencyFileNumber()));
        step("RequestCourtDunningOrder.again", () -> shop.requestCourtDunningOrder(
            ready, RequestCourtDunningOrderInstructionType.DUNNING_ONLY, "Frau Kaiser", null), Client::answered);
        step("GetClaim.unknown", () -> shop.getClaim("nope"), Client::answered);
        step("GetClaim.otherShop",
             () -> port(in.get("otherShop"), in.get("otherPassword")).getClaim("C-1"), Client::answered);
        step("GetClaim.wrongPassword",
             () -> port(in.get("shop"), in.get("wrongPassword")).getClaim("C-1"), Client::answered);
        step("GetClaim.noCredentials", () -> port(null, null).getClaim("C-1"), Client::answered);
        step("GetClaim.databaseDown", () -> {
            ShopService down = port(in.get("shop"), in.get("password"));
            ((BindingProvider) down).getRequestContext().put(
                BindingProvider.ENDPOINT_ADDRESS_PROPERTY, in.get("unavailableEndpoint"));
            return down.getClaim("C-1");
        }, Client::answered);

        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        stdout.println(json(out));
    }

    /** A port on the WSDL the test's facade serves (its address included), as shop `user`. */
    static ShopService port(String user, String password) throws Exception {
        ShopService port = new ShopService_Service(new URL(in.get("wsdl"))).getShopService();
        if (user != null) {
            Map<String, Object> request = ((BindingProvider) port).getRequestContext();
            request.put(BindingProvider.USERNAME_PROPERTY, user);
            request.put(BindingProvider.PASSWORD_PROPERTY, password);
        }
        return port;
    }

    static Claim claim(String shopClaimId, String principal) throws Exception {
        Debtor d = new Debtor();
        d.setKind(DebtorKindType.PERSON);
        d.setSalutation(DebtorSalutationType.MS);
        d.setFirstName("Jürgen");
        d.setLastName("Müller-Lüdenscheidt");
        d.setStreet("Große Straße");
        d.setHouseNumber("12a");
        d.setPostcode("80331");
        d.setCity("München");
        d.setCountry("DE");
        d.setEmail("j.mueller@example.de");
        d.setDateOfBirth(date("1980-02-29"));
        Claim c = new Claim();
        c.setShopClaimId(shopClaimId);
        c.setClaimType(ClaimClaimTypeType.GOODS_SOLD);
        c.setReason("2 x Wanderschuhe Größe 44");
        c.setPrincipal(new BigDecimal(principal));
        c.setDunningFees(new BigDecimal("5.00"));
        c.setCurrency("EUR");
        c.setDateOfOrigin(date(in.get("dateOfOrigin")));
        c.setDueDate(date(in.get("dueDate")));
        c.setDateOfLastReminder(date(in.get("dateOfLastReminder")));
        c.setNote("reagiert nicht");
        c.setCounterPerformanceRendered(true);
        c.setDebtor(d);
        return c;
    }

    static Map<String, Object> preflight(CourtDunningPreflight p) {
        List<Object> reasons = new ArrayList<>();
        if (p.getReasons() != null) for (Finding f : p.getReasons().getFinding()) reasons.add(f.getCode());
        return map("allowed", text(p.isAllowed()), "reasons", reasons);
    }

    static <T> void step(String key, Call<T> call, Pick<T> pick) throws Exception {
        T answer;
        try {
            answer = call.run();
        } catch (Exception e) {
            out.put(key, fault(e));
            return;
        }
        out.put(key, pick.of(answer));
    }

    static Map<String, Object> answered(Object answer) {
        return map("answered", answer == null ? "null" : answer.getClass().getSimpleName());
    }

    private static final Pattern HTTP_STATUS = Pattern.compile("HTTP status code (\\d+)");

    /** A fault as the matrix reports it; anything else is a bug of this program and is thrown. */
    static Map<String, Object> fault(Exception e) throws Exception {
        WebFault declared = e.getClass().getAnnotation(WebFault.class);
        if (declared != null) {  // a checked exception wsimport generated for a wsdl:fault
            Object info = e.getClass().getMethod("getFaultInfo").invoke(e);
            return faultOf(e.getClass().getSimpleName(), info == null ? null
                           : marshal(info, new QName(declared.targetNamespace(), declared.name())));
        }
        if (e instanceof SOAPFaultException) {  // a fault the client could not map to its type
            javax.xml.soap.SOAPFault f = ((SOAPFaultException) e).getFault();
            Element detail = null;
            if (f.getDetail() != null)
                for (Node n = f.getDetail().getFirstChild(); n != null && detail == null; n = n.getNextSibling())
                    if (n instanceof Element) detail = (Element) n;
            return faultOf("SOAPFaultException(" + f.getFaultCodeAsQName().getLocalPart() + ")", detail);
        }
        Matcher status = HTTP_STATUS.matcher(String.valueOf(e.getMessage()));
        if (e instanceof WebServiceException && status.find()) return map("http", status.group(1));
        throw e;
    }

    static final Map<Class<?>, JAXBContext> contexts = new HashMap<>();

    /** The fault bean back as the detail element it was read from (to report it like other clients). */
    @SuppressWarnings("unchecked")
    static Element marshal(Object info, QName name) throws Exception {
        DOMResult result = new DOMResult();
        JAXBContext context = contexts.get(info.getClass());
        if (context == null) contexts.put(info.getClass(), context = JAXBContext.newInstance(info.getClass()));
        context.createMarshaller().marshal(new JAXBElement<>(name, (Class<Object>) info.getClass(), info), result);
        return ((Document) result.getNode()).getDocumentElement();
    }

    static Map<String, Object> faultOf(String name, Element detail) {
        List<Object> paths = new ArrayList<>(), reasons = new ArrayList<>();
        if (detail != null) {
            NodeList found = detail.getElementsByTagNameNS("*", "path");
            for (int i = 0; i < found.getLength(); i++) paths.add(found.item(i).getTextContent());
            for (Node n = detail.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (!(n instanceof Element) || !"reason".equals(n.getLocalName())) continue;
                NodeList code = ((Element) n).getElementsByTagNameNS("*", "code");
                reasons.add(code.getLength() > 0 ? code.item(0).getTextContent() : n.getTextContent());
            }
        }
        return map("fault", name, "detail", detail == null ? null : detail.getLocalName(),
                   "paths", paths, "reasons", reasons);
    }

    // -- values and JSON -------------------------------------------------------------------
    static XMLGregorianCalendar date(String iso) throws Exception {
        return DatatypeFactory.newInstance().newXMLGregorianCalendar(iso);
    }

    static String text(Object value) {
        if (value == null) return null;
        if (value instanceof BigDecimal) return ((BigDecimal) value).toPlainString();
        if (value instanceof XMLGregorianCalendar) return ((XMLGregorianCalendar) value).toXMLFormat();
        return value.toString();
    }

    static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    static String json(Object value) {
        if (value == null) return "null";
        if (value instanceof Map) {
            StringBuilder s = new StringBuilder("{");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet())
                s.append(s.length() > 1 ? "," : "").append(json(e.getKey())).append(":").append(json(e.getValue()));
            return s.append("}").toString();
        }
        if (value instanceof List) {
            StringBuilder s = new StringBuilder("[");
            for (Object item : (List<?>) value) s.append(s.length() > 1 ? "," : "").append(json(item));
            return s.append("]").toString();
        }
        StringBuilder s = new StringBuilder("\"");
        for (char c : value.toString().toCharArray()) {
            if (c == '"' || c == '\\') s.append('\\').append(c);
            else if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
            else s.append(c);
        }
        return s.append('"').toString();
    }

    /** The input: one JSON object of strings (matrix.write_input writes it ASCII-only). */
    static Map<String, String> readFlatJson(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(text);
        while (m.find()) values.put(unescape(m.group(1)), unescape(m.group(2)));
        return values;
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { b.append(c); continue; }
            char e = s.charAt(++i);
            if (e == 'u') { b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; }
            else if (e == 'n') b.append('\n');
            else if (e == 't') b.append('\t');
            else b.append(e);
        }
        return b.toString();
    }
}
