#pragma once
// The person's remembered answers to "may this origin use the card?": STATE_DIR/origins.json,
// read on every lookup (so that `sithsctl origins revoke` takes effect at once) and written
// atomically.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sithsd::daemon {

class ConsentStore {
  public:
    explicit ConsentStore(std::filesystem::path file) : file_(std::move(file)) {}

    // true: allowed, false: denied, nullopt: never asked.
    std::optional<bool> decision(const std::string& origin) const;
    void remember(const std::string& origin, bool allowed);
    // Forgets an origin; false when it was not there.
    bool forget(const std::string& origin);
    std::map<std::string, bool> all() const;
    const std::filesystem::path& file() const { return file_; }

  private:
    void save(const std::map<std::string, bool>& decisions) const;

    std::filesystem::path file_;
    mutable std::mutex mutex_;
};

}  // namespace sithsd::daemon
