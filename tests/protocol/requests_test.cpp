#include "protocol/requests.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>

#include "protocol/base64.hpp"

namespace sithsd::protocol {
namespace {

boost::json::object obj(std::string_view json) {
    return boost::json::parse(json).as_object();
}

template <class T>
std::string field_of(const ParamsResult<T>& r) {
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "<ok>";
    EXPECT_EQ(r.error().code, ErrorCode::InvalidParams);
    return std::string(r.error().data.at("field").as_string());
}

const std::string kNonce44(44, 'A');

std::string b64(std::size_t n, std::uint8_t fill = 7) {
    return base64_encode(std::vector<std::uint8_t>(n, fill));
}

TEST(Utf8, CountsCodePoints) {
    EXPECT_EQ(utf8_length(""), 0u);
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("åäö"), 3u);               // 6 bytes
    EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);  // one emoji, 4 bytes
}

// ---- listCertificates

TEST(ListCertificates, Good) {
    auto r = parse_list_certificates(
        obj(R"({"purpose":"signing","cardId":"c-1","require":"hsaId","x":1})"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->purpose, Purpose::signing);
    EXPECT_EQ(r->card_id, "c-1");
    EXPECT_EQ(r->require, Requirement::HsaId);
    auto empty = parse_list_certificates({});
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->purpose);
    EXPECT_FALSE(empty->card_id);
    EXPECT_FALSE(empty->require);
    auto pnr = parse_list_certificates(
        obj(R"({"purpose":"identification","require":"personalIdentityNumber"})"));
    ASSERT_TRUE(pnr);
    EXPECT_EQ(pnr->purpose, Purpose::identification);
    EXPECT_EQ(pnr->require, Requirement::PersonalIdentityNumber);
}

TEST(ListCertificates, Bad) {
    EXPECT_EQ(field_of(parse_list_certificates(obj(R"({"purpose":"login"})"))), "purpose");
    EXPECT_EQ(field_of(parse_list_certificates(obj(R"({"purpose":1})"))), "purpose");
    EXPECT_EQ(field_of(parse_list_certificates(obj(R"({"cardId":null})"))), "cardId");
    EXPECT_EQ(field_of(parse_list_certificates(obj(R"({"require":"email"})"))), "require");
    EXPECT_EQ(field_of(parse_list_certificates(obj(R"({"require":["hsaId"]})"))), "require");
}

// ---- authenticate

TEST(Authenticate, Good) {
    auto r = parse_authenticate(
        obj(R"({"challengeNonce":")" + kNonce44 +
            R"(","certificateId":"k1","require":"hsaId","origin":"https://a.se","extra":[1]})"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->challenge_nonce, kNonce44);
    EXPECT_EQ(r->certificate_id, "k1");
    EXPECT_EQ(r->require, Requirement::HsaId);
    EXPECT_EQ(r->origin, "https://a.se");
    auto max = parse_authenticate(obj(R"({"challengeNonce":")" + std::string(128, 'z') + "\"}"));
    ASSERT_TRUE(max);
    EXPECT_FALSE(max->origin);
    EXPECT_FALSE(max->certificate_id);
}

TEST(Authenticate, NonceLength) {
    EXPECT_EQ(field_of(parse_authenticate({})), "challengeNonce");
    EXPECT_EQ(
        field_of(parse_authenticate(obj(R"({"challengeNonce":")" + std::string(43, 'A') + "\"}"))),
        "challengeNonce");
    EXPECT_EQ(
        field_of(parse_authenticate(obj(R"({"challengeNonce":")" + std::string(129, 'A') + "\"}"))),
        "challengeNonce");
    EXPECT_EQ(field_of(parse_authenticate(obj(R"({"challengeNonce":12345})"))), "challengeNonce");
    // 44 bytes but fewer characters: not base64.
    EXPECT_EQ(field_of(parse_authenticate(
                  obj(R"({"challengeNonce":")" + std::string(40, 'A') + "åä\"}"))),
              "challengeNonce");
}

TEST(Authenticate, WrongTypes) {
    const std::string n = R"({"challengeNonce":")" + kNonce44 + "\",";
    EXPECT_EQ(field_of(parse_authenticate(obj(n + R"("certificateId":5})"))), "certificateId");
    EXPECT_EQ(field_of(parse_authenticate(obj(n + R"("require":"x"})"))), "require");
    EXPECT_EQ(field_of(parse_authenticate(obj(n + R"("origin":{}})"))), "origin");
}

TEST(Authenticate, OriginByTransport) {
    const auto with = obj(R"({"challengeNonce":")" + kNonce44 + R"(","origin":"https://a.se"})");
    const auto without = obj(R"({"challengeNonce":")" + kNonce44 + "\"}");
    EXPECT_TRUE(parse_authenticate(with, OriginAuthority::local_user));
    EXPECT_EQ(field_of(parse_authenticate(without, OriginAuthority::local_user)), "origin");
    EXPECT_EQ(
        field_of(parse_authenticate(obj(R"({"challengeNonce":")" + kNonce44 + R"(","origin":""})"),
                                    OriginAuthority::local_user)),
        "origin");
    EXPECT_TRUE(parse_authenticate(without, OriginAuthority::browser_handshake));
    EXPECT_EQ(field_of(parse_authenticate(with, OriginAuthority::browser_handshake)), "origin");
    // The other rules still come first.
    EXPECT_EQ(field_of(parse_authenticate(obj(R"({"origin":"https://a.se"})"),
                                          OriginAuthority::local_user)),
              "challengeNonce");
}

// ---- sign

std::string sign_json(const std::string& fields) {
    return R"({"displayText":"Attest av beställning","format":"raw",)" + fields + "}";
}

TEST(Sign, GoodHash) {
    for (const auto& [name, size] : {std::pair{"SHA-256", 32}, {"SHA-384", 48}, {"SHA-512", 64}}) {
        auto r = parse_sign(obj(sign_json(R"("hashAlgorithm":")" + std::string(name) +
                                          R"(","hash":")" + b64(size) + "\"")));
        ASSERT_TRUE(r) << name;
        EXPECT_EQ(hash_algorithm_name(r->hash_algorithm), name);
        ASSERT_TRUE(r->hash);
        EXPECT_EQ(r->hash->size(), static_cast<std::size_t>(size));
        EXPECT_FALSE(r->data);
        EXPECT_EQ(r->format, SignFormat::Raw);
        EXPECT_EQ(r->display_text, "Attest av beställning");
    }
}

TEST(Sign, GoodData) {
    auto r = parse_sign(obj(R"({"displayText":"x","format":"cms","certificateId":"s1","data":")" +
                            b64(kMaxSignDataBytes) + "\"}"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->format, SignFormat::Cms);
    EXPECT_EQ(r->certificate_id, "s1");
    ASSERT_TRUE(r->data);
    EXPECT_EQ(r->data->size(), kMaxSignDataBytes);
    EXPECT_EQ(r->hash_algorithm, HashAlgorithm::sha256);
    auto with_alg = parse_sign(obj(sign_json(R"("data":"AAEC","hashAlgorithm":"SHA-512")")));
    ASSERT_TRUE(with_alg);
    EXPECT_EQ(with_alg->hash_algorithm, HashAlgorithm::sha512);
    auto empty_data = parse_sign(obj(sign_json(R"("data":"")")));
    ASSERT_TRUE(empty_data);
    EXPECT_TRUE(empty_data->data->empty());
}

TEST(Sign, ExactlyOneOfHashOrData) {
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("x":1)")))), "hash");
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(
                  R"("data":"AAEC","hashAlgorithm":"SHA-256","hash":")" + b64(32) + "\"")))),
              "data");
}

TEST(Sign, HashRules) {
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("hash":")" + b64(32) + "\"")))),
              "hashAlgorithm");
    EXPECT_EQ(field_of(parse_sign(
                  obj(sign_json(R"("hashAlgorithm":"SHA-1","hash":")" + b64(20) + "\"")))),
              "hashAlgorithm");
    EXPECT_EQ(field_of(parse_sign(
                  obj(sign_json(R"("hashAlgorithm":"sha-256","hash":")" + b64(32) + "\"")))),
              "hashAlgorithm");
    EXPECT_EQ(
        field_of(parse_sign(obj(sign_json(R"("hashAlgorithm":256,"hash":")" + b64(32) + "\"")))),
        "hashAlgorithm");
    EXPECT_EQ(field_of(parse_sign(
                  obj(sign_json(R"("hashAlgorithm":"SHA-256","hash":")" + b64(48) + "\"")))),
              "hash");
    EXPECT_EQ(field_of(parse_sign(
                  obj(sign_json(R"("hashAlgorithm":"SHA-384","hash":")" + b64(32) + "\"")))),
              "hash");
    EXPECT_EQ(
        field_of(parse_sign(obj(sign_json(R"("hashAlgorithm":"SHA-256","hash":"not base64!")")))),
        "hash");
    // base64url is not base64.
    std::string url = b64(32, 0xfb);
    for (auto& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
    EXPECT_EQ(
        field_of(parse_sign(obj(sign_json(R"("hashAlgorithm":"SHA-256","hash":")" + url + "\"")))),
        "hash");
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("hashAlgorithm":"SHA-256","hash":123)")))),
              "hash");
}

TEST(Sign, DataRules) {
    EXPECT_EQ(
        field_of(parse_sign(obj(sign_json(R"("data":")" + b64(kMaxSignDataBytes + 1) + "\"")))),
        "data");
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("data":"AAE")")))), "data");
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("data":true)")))), "data");
}

TEST(Sign, DisplayTextFitsThePromptsLine) {
    auto with_text = [](const std::string& text) {
        return parse_sign(obj(R"({"format":"raw","data":"AAEC","displayText":")" + text + "\"}"));
    };
    EXPECT_TRUE(with_text("a"));
    EXPECT_TRUE(with_text(std::string(500, 'a')));
    EXPECT_EQ(field_of(with_text(std::string(501, 'a'))), "displayText");
    std::string swedish;
    for (int i = 0; i < 250; ++i) swedish += "ä";  // 500 bytes, 250 characters
    EXPECT_TRUE(with_text(swedish));
    EXPECT_EQ(field_of(with_text(swedish + "a")), "displayText");
    // A line break and % reach the prompt as %0A and %25: three bytes each.
    EXPECT_TRUE(with_text(std::string(166, '%') + "ab"));
    EXPECT_EQ(field_of(with_text(std::string(167, '%'))), "displayText");
    std::string lines;
    for (int i = 0; i < 166; ++i) lines += "\\n";
    EXPECT_TRUE(with_text(lines + "ab"));
    EXPECT_EQ(field_of(with_text(lines + "\\n")), "displayText");
    EXPECT_EQ(field_of(with_text("")), "displayText");
    EXPECT_EQ(field_of(parse_sign(obj(R"({"format":"cms","data":"AAEC"})"))), "displayText");
    EXPECT_EQ(field_of(parse_sign(obj(R"({"format":"raw","data":"AAEC","displayText":["a"]})"))),
              "displayText");
}

// A raw signature may come without a text (a page written for Web eID sends only a hash); the
// prompt then says that the page did not say what is signed. CMS needs it for contentHints.
TEST(Sign, DisplayTextIsOptionalOnlyForRaw) {
    auto raw = parse_sign(obj(R"({"format":"raw","data":"AAEC"})"));
    ASSERT_TRUE(raw);
    EXPECT_FALSE(raw->display_text);
    auto with_hash =
        parse_sign(obj(R"({"format":"raw","hashAlgorithm":"SHA-256","hash":")" + b64(32) + "\"}"));
    ASSERT_TRUE(with_hash);
    EXPECT_FALSE(with_hash->display_text);
    EXPECT_EQ(field_of(parse_sign(
                  obj(R"({"format":"cms","hashAlgorithm":"SHA-256","hash":")" + b64(32) + "\"}"))),
              "displayText");
}

TEST(Sign, DisplayTextWithoutControlOrBidiCharacters) {
    auto with_text = [](const std::string& json_text) {
        return parse_sign(
            obj(R"({"format":"raw","data":"AAEC","displayText":"Pay 100 )" + json_text + "\"}"));
    };
    EXPECT_TRUE(with_text("kr\\nto Ulla"));  // a line break is text
    for (const char* hidden :
         {"\\u0000", "\\u001b[2J", "\\r", "\\t", "\\u007f", "\\u0085", "\\u009b", "\\u202a",
          "\\u202b", "\\u202c", "\\u202d", "\\u202e", "\\u2066", "\\u2067", "\\u2068", "\\u2069"}) {
        auto result = with_text(std::string(hidden) + "kr");
        EXPECT_EQ(field_of(result), "displayText") << hidden;
    }
    auto result = with_text("\\u202ekr 0001");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::InvalidParams);
    EXPECT_NE(result.error().message.find("U+202E"), std::string::npos) << result.error().message;
}

TEST(Sign, Format) {
    EXPECT_EQ(field_of(parse_sign(obj(R"({"displayText":"a","data":"AAEC"})"))), "format");
    EXPECT_EQ(field_of(parse_sign(obj(R"({"displayText":"a","data":"AAEC","format":"pades"})"))),
              "format");
    EXPECT_EQ(field_of(parse_sign(obj(R"({"displayText":"a","data":"AAEC","format":"CMS"})"))),
              "format");
    EXPECT_EQ(field_of(parse_sign(obj(R"({"displayText":"a","data":"AAEC","format":1})"))),
              "format");
    EXPECT_EQ(field_of(parse_sign(obj(sign_json(R"("data":"AAEC","certificateId":1)")))),
              "certificateId");
}

// ---- cancel, changePin, unblockPin

TEST(Cancel, Id) {
    auto s = parse_cancel(obj(R"({"id":"r1"})"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->id.as_string(), "r1");
    auto n = parse_cancel(obj(R"({"id":12})"));
    ASSERT_TRUE(n);
    EXPECT_EQ(n->id.as_int64(), 12);
    EXPECT_EQ(field_of(parse_cancel({})), "id");
    EXPECT_EQ(field_of(parse_cancel(obj(R"({"id":null})"))), "id");
    EXPECT_EQ(field_of(parse_cancel(obj(R"({"id":[1]})"))), "id");
    EXPECT_EQ(field_of(parse_cancel(obj(R"({"id":false})"))), "id");
}

TEST(PinMethods, Params) {
    for (auto* parse : {&parse_change_pin, &parse_unblock_pin}) {
        auto r = parse(obj(R"({"cardId":"c-1","pin":"signing"})"));
        ASSERT_TRUE(r);
        EXPECT_EQ(r->card_id, "c-1");
        EXPECT_EQ(r->pin, PinKind::signing);
        auto id = parse(obj(R"({"cardId":"c-1","pin":"identification"})"));
        ASSERT_TRUE(id);
        EXPECT_EQ(id->pin, PinKind::identification);
        EXPECT_EQ(field_of(parse(obj(R"({"pin":"signing"})"))), "cardId");
        EXPECT_EQ(field_of(parse(obj(R"({"cardId":7,"pin":"signing"})"))), "cardId");
        EXPECT_EQ(field_of(parse(obj(R"({"cardId":"c-1"})"))), "pin");
        EXPECT_EQ(field_of(parse(obj(R"({"cardId":"c-1","pin":"puk"})"))), "pin");
    }
}

TEST(Names, RoundTrip) {
    EXPECT_EQ(purpose_name(Purpose::identification), "identification");
    EXPECT_EQ(requirement_name(Requirement::PersonalIdentityNumber), "personalIdentityNumber");
    EXPECT_EQ(sign_format_name(SignFormat::Cms), "cms");
    EXPECT_EQ(pin_kind_name(PinKind::signing), "signing");
    EXPECT_EQ(hash_algorithm_from_name("SHA-384"), HashAlgorithm::sha384);
    EXPECT_FALSE(hash_algorithm_from_name("SHA-1"));
    EXPECT_EQ(hash_size(HashAlgorithm::sha512), 64u);
}

}  // namespace
}  // namespace sithsd::protocol
