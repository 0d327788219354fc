import ContentQueue
import Foundation
import Testing

@Suite("Identifiers, tags and payloads")
struct ModelTests {
    @Test(arguments: ["demo", "family_1", "A-b-C", String(repeating: "x", count: 64)])
    func validFamilies(text: String) {
        #expect(FamilyID(text)?.rawValue == text)
    }

    @Test(arguments: ["", "a b", "a{b", "a}b", "a:b", "a*b", "a\nb", "ü", String(repeating: "x", count: 65)])
    func familiesThatCouldReachAKeyAreRefused(text: String) {
        #expect(FamilyID(text) == nil)
    }

    @Test func contentIDsHaveOneFormat() {
        let id = ContentID.random()
        #expect(id.rawValue.count == 32)
        #expect(ContentID(id.rawValue) == id)
        #expect(ContentID(id.rawValue.uppercased()) == nil)
        #expect(ContentID("*") == nil)
        #expect(ContentID(String(id.rawValue.dropLast()) + "g") == nil)
        #expect(ContentID.random() != ContentID.random())
    }

    @Test func keysUseTheFamilyHashTag() {
        let keys = ContentKeys(family: FamilyID("demo")!)
        let id = ContentID("0123456789abcdef0123456789abcdef")!
        #expect(keys.queue == "contentQueue:{demo}")
        #expect(keys.item(id) == "content:{demo}:0123456789abcdef0123456789abcdef")
        #expect(keys.version == "contentQueue:{demo}:version")
        #expect(keys.epoch == "epoch:{demo}")
        #expect(keys.approved == "contentApproved:{demo}")
        #expect(keys.rejected == "contentRejected:{demo}")
    }

    @Test func versionTagsRoundTrip() {
        let version = FamilyVersion(epoch: "0a1b2c3d4e5f6a7b", version: 42)
        #expect(version.tag == "0a1b2c3d4e5f6a7b-42")
        #expect(FamilyVersion(tag: version.tag) == version)
    }

    @Test(arguments: ["", "42", "abc-", "-5", "e-x", "e--1", "e-1.5", "e-99999999999999999999", "e f-1", "e-+1"])
    func malformedTagsDoNotParse(tag: String) {
        #expect(FamilyVersion(tag: tag) == nil)
    }

    @Test func payloadJSONFollowsTheContract() throws {
        let payload = InvalidationPayload(key: "contentQueue", family: "demo", version: 7, reason: "uploaded", contentId: "abc", epoch: "e1", ts: 5)
        #expect(payload.json == #"{"key":"contentQueue","family":"demo","version":7,"reason":"uploaded","contentId":"abc","epoch":"e1","ts":5}"#)
        #expect(try JSONDecoder().decode(InvalidationPayload.self, from: Data(payload.json.utf8)) == payload)
    }

    @Test func payloadJSONEscapesAnything() throws {
        let nasty = "a\"b\\c\nd\u{0001}e\u{2028}"
        let payload = InvalidationPayload(key: "k", family: "f", version: 1, reason: nasty)
        #expect(!payload.json.contains("\n"))
        #expect(try JSONDecoder().decode(InvalidationPayload.self, from: Data(payload.json.utf8)).reason == nasty)
    }
}
