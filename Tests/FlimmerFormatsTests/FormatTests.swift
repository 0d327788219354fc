import FlimmerFormats
import Foundation
import Testing

@Suite("Text formats shared by the modules")
struct FormatTests {
    @Test func jsonStringLiteralsEscapeWhatJSONAndJavaScriptNeed() throws {
        #expect(JSONText.quoted(#"a "b" \ c"#) == #""a \"b\" \\ c""#)
        #expect(JSONText.quoted("tab\tnl\ncr\r") == #""tab\tnl\ncr\r""#)
        #expect(JSONText.quoted("\u{01}\u{7F}") == #""\u0001\u007f""#)
        #expect(JSONText.quoted("\u{2028}\u{2029}") == #""\u2028\u2029""#)
        #expect(JSONText.quoted("grüße ✓") == "\"grüße ✓\"")
        #expect(JSONText.quoted("") == #""""#)
        // Whatever the input, the literal decodes back to it.
        let tricky = "quote \" slash \\ nul \u{0} bell \u{7} line \u{2028} emoji 🙂"
        let decoded = try JSONDecoder().decode(String.self, from: Data(JSONText.quoted(tricky).utf8))
        #expect(decoded == tricky)
    }

    @Test func hexIsZeroPaddedToTheTypesWidth() {
        #expect(HexText.padded(UInt64(0)) == "0000000000000000")
        #expect(HexText.padded(UInt64(0xABC)) == "0000000000000abc")
        #expect(HexText.padded(UInt64.max) == "ffffffffffffffff")
        #expect(HexText.padded(UInt16(0x1F)) == "001f")
        #expect(HexText.padded(UInt8(7)) == "07")
    }

    @Test func timesAreUTCISO8601WithMilliseconds() {
        #expect(UTCTime(millisecondsSince1970: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(UTCTime(millisecondsSince1970: 1_795_570_574_879).iso8601 == "2026-11-25T01:36:14.879Z")
        #expect(UTCTime(millisecondsSince1970: 951_782_400_007).iso8601 == "2000-02-29T00:00:00.007Z")
        let now = UTCTime.now().millisecondsSince1970
        #expect(abs(now - Int64(Date().timeIntervalSince1970 * 1000)) < 5000)
    }
}
