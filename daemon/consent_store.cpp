#include "daemon/consent_store.hpp"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "daemon/atomic_file.hpp"

namespace sithsd::daemon {
namespace {

// {"origins": {"https://a.example.se": "allow", ...}}; a damaged file reads as empty rather than
// taking the daemon down (it is rewritten whole on the next decision).
std::map<std::string, bool> load(const std::filesystem::path& file) {
    std::map<std::string, bool> out;
    std::ifstream in(file);
    if (!in) return out;
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto value = boost::json::parse(text.str(), ec);
    if (ec || !value.is_object()) return out;
    auto* origins = value.as_object().if_contains("origins");
    if (!origins || !origins->is_object()) return out;
    for (const auto& [origin, decision] : origins->as_object())
        if (decision.is_string()) out[std::string(origin)] = decision.as_string() == "allow";
    return out;
}

}  // namespace

std::optional<bool> ConsentStore::decision(const std::string& origin) const {
    std::lock_guard lock(mutex_);
    auto decisions = load(file_);
    auto it = decisions.find(origin);
    if (it == decisions.end()) return std::nullopt;
    return it->second;
}

void ConsentStore::remember(const std::string& origin, bool allowed) {
    std::lock_guard lock(mutex_);
    auto decisions = load(file_);
    decisions[origin] = allowed;
    save(decisions);
}

bool ConsentStore::forget(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto decisions = load(file_);
    if (!decisions.erase(origin)) return false;
    save(decisions);
    return true;
}

std::map<std::string, bool> ConsentStore::all() const {
    std::lock_guard lock(mutex_);
    return load(file_);
}

void ConsentStore::save(const std::map<std::string, bool>& decisions) const {
    boost::json::object origins;
    for (const auto& [origin, allowed] : decisions) origins[origin] = allowed ? "allow" : "deny";
    create_private_folder(file_.parent_path());
    write_file_atomically(
        file_, boost::json::serialize(boost::json::object{{"origins", std::move(origins)}}) + "\n");
}

}  // namespace sithsd::daemon
