#include "daemon/native_host_manifests.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iterator>

#include "common/extension_ids.hpp"
#include "daemon/atomic_file.hpp"

namespace sithsd::daemon {
namespace {

namespace fs = std::filesystem;

std::string manifest(const fs::path& host_path, bool firefox) {
    boost::json::object m{{"name", native_host::host_name},
                          {"description", "sithsd native-messaging host"},
                          {"path", host_path.string()},
                          {"type", "stdio"}};
    if (firefox)
        m["allowed_extensions"] = boost::json::array{native_host::firefox_extension_id};
    else
        m["allowed_origins"] = boost::json::array{
            "chrome-extension://" + std::string(native_host::chromium_extension_id) + "/"};
    return boost::json::serialize(m) + "\n";
}

bool is_firefox(const fs::path& manifest_path) {
    return manifest_path.parent_path().filename() == "native-messaging-hosts";
}

}  // namespace

std::vector<fs::path> native_host_manifest_paths(const fs::path& home,
                                                 const fs::path& config_home) {
    const std::string file = std::string(native_host::host_name) + ".json";
    return {config_home / "chromium" / "NativeMessagingHosts" / file,
            config_home / "google-chrome" / "NativeMessagingHosts" / file,
            home / ".mozilla" / "native-messaging-hosts" / file};
}

std::vector<fs::path> register_native_host(const fs::path& home, const fs::path& config_home,
                                           const fs::path& host_path) {
    std::vector<fs::path> written;
    for (const auto& path : native_host_manifest_paths(home, config_home)) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec)
            throw std::runtime_error("cannot make " + path.parent_path().string() + ": " +
                                     ec.message());
        write_file_atomically(path, manifest(host_path, is_firefox(path)), 0644);
        written.push_back(path);
    }
    return written;
}

std::vector<fs::path> unregister_native_host(const fs::path& home, const fs::path& config_home) {
    std::vector<fs::path> removed;
    for (const auto& path : native_host_manifest_paths(home, config_home)) {
        std::error_code ec;
        if (fs::remove(path, ec)) removed.push_back(path);
        if (ec) throw std::runtime_error("cannot remove " + path.string() + ": " + ec.message());
    }
    return removed;
}

std::optional<std::string> manifest_host(const fs::path& manifest_path) {
    std::ifstream in(manifest_path);
    if (!in) return std::nullopt;
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    boost::system::error_code ec;
    const auto value = boost::json::parse(text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    const auto* path = value.as_object().if_contains("path");
    if (!path || !path->is_string()) return std::nullopt;
    return std::string(path->as_string());
}

}  // namespace sithsd::daemon
