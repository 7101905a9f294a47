#include "ca-test/softcard/state_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sithsd::softcard {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

class FileLock {
  public:
    explicit FileLock(const fs::path& path) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ < 0) throw std::runtime_error("softcard: cannot open lock file " + path.string());
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR) {
                ::close(fd_);
                throw std::runtime_error("softcard: cannot lock " + path.string());
            }
        }
    }
    ~FileLock() { ::close(fd_); }  // closing releases the flock
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

  private:
    int fd_ = -1;
};

// The file's JSON object, or an empty object when the file does not exist yet.
json::object read_object(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::stringstream buf;
    buf << in.rdbuf();
    boost::system::error_code ec;
    json::value v = json::parse(buf.str(), ec);
    if (ec || !v.is_object())
        throw std::runtime_error("softcard: invalid JSON in " + path.string());
    return std::move(v.get_object());
}

void pin_from_json(const json::object& o, std::string_view key, PinState& p) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_object()) return;
    const json::object& po = v->get_object();
    if (const auto* s = po.if_contains("pin"); s && s->is_string()) p.pin = s->get_string();
    if (const auto* t = po.if_contains("triesLeft"); t && t->is_int64())
        p.tries_left = static_cast<int>(t->get_int64());
    if (const auto* t = po.if_contains("maxTries"); t && t->is_int64())
        p.max_tries = static_cast<int>(t->get_int64());
}

json::object pin_to_json(const PinState& p) {
    json::object o;
    o["pin"] = p.pin;
    o["triesLeft"] = p.tries_left;
    o["maxTries"] = p.max_tries;
    return o;
}

std::string_view mode_name(PinPadMode m) {
    switch (m) {
        case PinPadMode::ok:
            return "ok";
        case PinPadMode::wrong:
            return "wrong";
        case PinPadMode::cancel:
            return "cancel";
    }
    return "ok";
}

CardState state_from(const json::object& doc, const CardConfig& card) {
    CardState s = initial_state(card);
    const json::value* cards = doc.if_contains("cards");
    if (!cards || !cards->is_object()) return s;
    const json::value* cv = cards->get_object().if_contains(card.name);
    if (!cv || !cv->is_object()) return s;
    const json::object& c = cv->get_object();
    pin_from_json(c, "identification", s.identification);
    pin_from_json(c, "signing", s.signing);
    pin_from_json(c, "puk", s.puk);
    if (const auto* m = c.if_contains("pinPad"); m && m->is_string()) {
        if (m->get_string() == "wrong")
            s.pin_pad = PinPadMode::wrong;
        else if (m->get_string() == "cancel")
            s.pin_pad = PinPadMode::cancel;
        else
            s.pin_pad = PinPadMode::ok;
    }
    if (const auto* d = c.if_contains("delayMs"); d && d->is_int64())
        s.delay_ms = static_cast<int>(d->get_int64());
    if (const auto* f = c.if_contains("failNext"); f && f->is_int64())
        s.fail_next = static_cast<int>(f->get_int64());
    if (const auto* r = c.if_contains("removeDuringSign"); r && r->is_bool())
        s.remove_during_sign = r->get_bool();
    return s;
}

json::object state_to(const CardState& s) {
    json::object c;
    c["identification"] = pin_to_json(s.identification);
    c["signing"] = pin_to_json(s.signing);
    c["puk"] = pin_to_json(s.puk);
    c["pinPad"] = mode_name(s.pin_pad);
    c["delayMs"] = s.delay_ms;
    c["failNext"] = s.fail_next;
    c["removeDuringSign"] = s.remove_during_sign;
    return c;
}

}  // namespace

CardState initial_state(const CardConfig& card) {
    CardState s;
    s.identification = {card.identification.pin, card.identification.tries_left,
                        card.identification.max_tries};
    s.signing = {card.signing.pin, card.signing.tries_left, card.signing.max_tries};
    s.puk = {card.puk, 3, 3};
    return s;
}

void write_file_atomically(const fs::path& path, const std::string& content) {
    static std::atomic<unsigned> counter{0};
    fs::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("softcard: cannot write " + tmp.string());
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.c_str());
            throw std::runtime_error("softcard: cannot write " + tmp.string());
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("softcard: cannot sync " + tmp.string());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        ::unlink(tmp.c_str());
        throw std::runtime_error("softcard: cannot rename to " + path.string());
    }
    int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

StateStore::StateStore(const WorldConfig& world)
    : conf_path_(world.conf_path), state_path_(world.state_path), lock_path_(world.lock_path) {}

CardState StateStore::read(const CardConfig& card) const {
    return state_from(read_object(state_path_), card);
}

CardState StateStore::update(const CardConfig& card,
                             const std::function<bool(CardState&)>& change) {
    FileLock lock(lock_path_);
    json::object doc = read_object(state_path_);
    CardState s = state_from(doc, card);
    if (!change(s)) return s;
    json::value& cards = doc["cards"];
    if (!cards.is_object()) cards = json::object{};
    cards.get_object()[card.name] = state_to(s);
    write_file_atomically(state_path_, json::serialize(doc) + "\n");
    return s;
}

void StateStore::set_inserted(const std::string& card_name, bool inserted) {
    FileLock lock(lock_path_);
    json::object doc = read_object(conf_path_);
    json::value* cards = doc.if_contains("cards");
    if (!cards || !cards->is_array())
        throw std::runtime_error("softcard: softcard.json has no cards");
    for (json::value& c : cards->get_array()) {
        json::object& co = c.get_object();
        if (const auto* n = co.if_contains("name");
            n && n->is_string() && n->get_string() == card_name)
            co["inserted"] = inserted;
    }
    write_file_atomically(conf_path_, json::serialize(doc) + "\n");
}

}  // namespace sithsd::softcard
