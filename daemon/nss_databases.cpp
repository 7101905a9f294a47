#include "daemon/nss_databases.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "daemon/tool_runner.hpp"

namespace sithsd::daemon {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kToolDeadline{30};

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// The pid a browser's lock symlink names ("HOST:+PID" for Firefox, "HOST-PID" for Chromium), when
// that process is alive: its module list is read at start, so it must be restarted.
std::optional<int> lock_owner(const fs::path& lock, char separator) {
    std::error_code ec;
    const std::string target = fs::read_symlink(lock, ec).string();
    if (ec) return std::nullopt;
    const auto at = target.rfind(separator);
    if (at == std::string::npos) return std::nullopt;
    std::string digits = target.substr(at + 1);
    if (!digits.empty() && digits.front() == '+') digits.erase(0, 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
        digits.size() > 9)
        return std::nullopt;
    const int pid = std::stoi(digits);
    if (::kill(pid, 0) == 0 || errno == EPERM) return pid;
    return std::nullopt;
}

// The profiles of one profiles.ini: [ProfileN] sections with Name=, Path= and IsRelative=.
void add_firefox_profiles(const fs::path& root, const std::string& browser,
                          std::vector<NssDatabase>& out) {
    std::ifstream ini(root / "profiles.ini");
    if (!ini) return;
    struct Section {
        bool profile = false;
        std::string name, path;
        bool relative = true;
    } s;
    auto flush = [&] {
        if (s.profile && !s.path.empty()) {
            NssDatabase db{browser, s.name, s.relative ? root / s.path : fs::path(s.path), {}};
            db.browser_pid = lock_owner(db.dir / "lock", ':');
            out.push_back(std::move(db));
        }
        s = Section{};
    };
    std::string line;
    while (std::getline(ini, line)) {
        line = trim(line);
        if (line.starts_with('[')) {
            flush();
            s.profile = line.starts_with("[Profile");
        } else if (line.starts_with("Name=")) {
            s.name = line.substr(5);
        } else if (line.starts_with("Path=")) {
            s.path = line.substr(5);
        } else if (line.starts_with("IsRelative=")) {
            s.relative = line.substr(11) != "0";
        }
    }
    flush();
}

void run_checked(const std::vector<std::string>& argv) {
    const ToolResult r = run_tool(argv, kToolDeadline);
    if (r.exit_code == 0) return;
    std::string what = fs::path(argv[0]).filename().string() + " failed";
    if (r.exit_code < 0)
        what += " (no answer within " + std::to_string(kToolDeadline.count()) + " s)";
    throw std::runtime_error(what + ": " + trim(r.output));
}

std::string sql(const fs::path& dir) {
    return "sql:" + dir.string();
}

}  // namespace

std::vector<NssDatabase> find_nss_databases(const fs::path& home, const fs::path& config_home) {
    std::vector<NssDatabase> out;
    NssDatabase chromium{"Chromium/Chrome", "", home / ".pki" / "nssdb", {}};
    for (const char* browser : {"chromium", "google-chrome"})
        if (!chromium.browser_pid)
            chromium.browser_pid = lock_owner(config_home / browser / "SingletonLock", '-');
    out.push_back(std::move(chromium));
    add_firefox_profiles(home / ".mozilla" / "firefox", "Firefox", out);
    add_firefox_profiles(home / "snap" / "firefox" / "common" / ".mozilla" / "firefox",
                         "Firefox (Snap)", out);
    return out;
}

bool nss_database_exists(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "cert9.db", ec) && fs::exists(dir / "pkcs11.txt", ec);
}

std::optional<std::string> registered_library(const fs::path& dir) {
    // pkcs11.txt: one block per module, blank-line separated, "library=" before "name=".
    std::ifstream in(dir / "pkcs11.txt");
    std::string line, library;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty()) library.clear();
        if (line.starts_with("library=")) library = line.substr(8);
        if (line == std::string("name=") + kNssModuleName) return library;
    }
    return std::nullopt;
}

std::optional<NssTools> NssTools::find() {
    auto modutil = find_in_path("modutil");
    auto certutil = find_in_path("certutil");
    if (!modutil || !certutil) return std::nullopt;
    NssTools tools;
    tools.modutil_ = *modutil;
    tools.certutil_ = *certutil;
    return tools;
}

void NssTools::create_database(const fs::path& dir) const {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot make " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, ec);  // keys may land here: this user's only
    run_checked({certutil_.string(), "-N", "-d", sql(dir), "--empty-password"});
}

void NssTools::add_module(const fs::path& dir, const fs::path& library) const {
    // FRIENDLY: the browser may read certificates without a login (ours need none anyway).
    run_checked({modutil_.string(), "-dbdir", sql(dir), "-add", kNssModuleName, "-libfile",
                 library.string(), "-mechanisms", "FRIENDLY", "-force"});
}

void NssTools::delete_module(const fs::path& dir) const {
    run_checked({modutil_.string(), "-dbdir", sql(dir), "-delete", kNssModuleName, "-force"});
}

}  // namespace sithsd::daemon
