#include "ca-test/softcard/config.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sithsd::softcard {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

json::value parse_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("softcard: cannot read " + path.string());
    std::stringstream buf;
    buf << in.rdbuf();
    boost::system::error_code ec;
    json::value v = json::parse(buf.str(), ec);
    if (ec) throw std::runtime_error("softcard: invalid JSON in " + path.string());
    return v;
}

const json::object& object_at(const json::object& o, std::string_view key, const fs::path& file) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_object())
        throw std::runtime_error("softcard: " + file.string() + ": missing object " +
                                 std::string(key));
    return v->get_object();
}

std::string string_at(const json::object& o, std::string_view key, const fs::path& file) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_string())
        throw std::runtime_error("softcard: " + file.string() + ": missing string " +
                                 std::string(key));
    return std::string(v->get_string());
}

PinConfig pin_at(const json::object& pins, std::string_view key, const fs::path& file) {
    const json::object& p = object_at(pins, key, file);
    PinConfig c;
    c.pin = string_at(p, "pin", file);
    if (const auto* t = p.if_contains("triesLeft"); t && t->is_int64())
        c.tries_left = static_cast<int>(t->get_int64());
    if (const auto* t = p.if_contains("maxTries"); t && t->is_int64())
        c.max_tries = static_cast<int>(t->get_int64());
    return c;
}

}  // namespace

std::vector<std::uint8_t> hex_decode(const std::string& hex) {
    if (hex.size() % 2 != 0) throw std::runtime_error("softcard: odd-length hex CKA_ID");
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::runtime_error("softcard: invalid hex CKA_ID");
    };
    std::vector<std::uint8_t> out;
    for (size_t i = 0; i < hex.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
    return out;
}

WorldConfig read_world(const fs::path& conf_path) {
    WorldConfig w;
    w.conf_path = fs::absolute(conf_path);
    const fs::path base = w.conf_path.parent_path();
    json::value v = parse_file(w.conf_path);
    if (!v.is_object())
        throw std::runtime_error("softcard: " + conf_path.string() + ": not an object");
    const json::object& o = v.get_object();
    fs::path state = o.contains("state") ? fs::path(string_at(o, "state", conf_path))
                                         : fs::path("softcard-state.json");
    w.state_path = state.is_absolute() ? state : base / state;
    w.lock_path = w.state_path;
    w.lock_path += ".lock";
    const json::value* cards = o.if_contains("cards");
    if (!cards || !cards->is_array())
        throw std::runtime_error("softcard: " + conf_path.string() + ": missing array cards");
    for (const json::value& c : cards->get_array()) {
        if (!c.is_object()) throw std::runtime_error("softcard: card entry is not an object");
        const json::object& co = c.get_object();
        CardEntry e;
        e.name = string_at(co, "name", conf_path);
        fs::path p = string_at(co, "path", conf_path);
        e.dir = p.is_absolute() ? p : base / p;
        if (const auto* i = co.if_contains("inserted"); i && i->is_bool())
            e.inserted = i->get_bool();
        if (const auto* n = co.if_contains("insertions"); n && n->is_int64())
            e.insertions = static_cast<std::uint64_t>(n->get_int64());
        w.cards.push_back(std::move(e));
    }
    return w;
}

CardConfig read_card(const fs::path& card_dir) {
    const fs::path file = card_dir / "card.json";
    json::value v = parse_file(file);
    if (!v.is_object()) throw std::runtime_error("softcard: " + file.string() + ": not an object");
    const json::object& o = v.get_object();
    CardConfig c;
    c.name = string_at(o, "name", file);
    c.holder = string_at(o, "holder", file);
    c.serial = string_at(o, "serial", file);
    if (const auto* p = o.if_contains("pinPad"); p && p->is_bool()) c.pin_pad = p->get_bool();
    const json::object& pins = object_at(o, "pins", file);
    c.identification = pin_at(pins, "identification", file);
    c.signing = pin_at(pins, "signing", file);
    c.puk = string_at(pins, "puk", file);
    const json::value* objects = o.if_contains("objects");
    if (!objects || !objects->is_array())
        throw std::runtime_error("softcard: " + file.string() + ": missing array objects");
    for (const json::value& ov : objects->get_array()) {
        const json::object& oo = ov.get_object();
        ObjectConfig obj;
        const std::string slot = string_at(oo, "slot", file);
        if (slot == "identification")
            obj.slot = SlotKind::identification;
        else if (slot == "signing")
            obj.slot = SlotKind::signing;
        else
            throw std::runtime_error("softcard: " + file.string() + ": unknown slot " + slot);
        obj.id = hex_decode(string_at(oo, "id", file));
        obj.label = string_at(oo, "label", file);
        // Cards carry their issuing CA's certificate too: an object without a key.
        if (oo.if_contains("key")) obj.key = card_dir / string_at(oo, "key", file);
        obj.certificate = card_dir / string_at(oo, "certificate", file);
        c.objects.push_back(std::move(obj));
    }
    return c;
}

}  // namespace sithsd::softcard
