#include "daemon/config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "pkcs11/module.hpp"

namespace sithsd::daemon {
namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

[[noreturn]] void bad(std::string_view source, std::string_view key, const std::string& what) {
    throw ConfigError(std::string(source) + ": key '" + std::string(key) + "': " + what);
}

std::int64_t integer(const toml::node& node, std::string_view source, std::string_view key,
                     std::int64_t min, std::int64_t max) {
    auto value = node.value_exact<std::int64_t>();
    if (!value) bad(source, key, "must be an integer");
    if (*value < min || *value > max)
        bad(source, key,
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                std::to_string(*value) + ")");
    return *value;
}

std::string string(const toml::node& node, std::string_view source, std::string_view key) {
    auto value = node.value_exact<std::string>();
    if (!value) bad(source, key, "must be a string");
    if (value->empty()) bad(source, key, "must not be empty");
    return *value;
}

bool boolean(const toml::node& node, std::string_view source, std::string_view key) {
    auto value = node.value_exact<bool>();
    if (!value) bad(source, key, "must be true or false");
    return *value;
}

std::filesystem::path path(const toml::node& node, std::string_view source, std::string_view key,
                           const Environment& env) {
    std::string text = string(node, source, key);
    if (text == "~" || text.starts_with("~/")) text = env.home + text.substr(1);
    std::filesystem::path result(text);
    if (!result.is_absolute()) bad(source, key, "must be an absolute path (or start with ~/)");
    return result;
}

std::vector<std::string> strings(const toml::node& node, std::string_view source,
                                 std::string_view key) {
    const toml::array* array = node.as_array();
    if (!array) bad(source, key, "must be an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < array->size(); ++i) {
        auto value = (*array)[i].value_exact<std::string>();
        if (!value || value->empty())
            bad(source, std::string(key) + "[" + std::to_string(i) + "]",
                "must be a non-empty string");
        out.push_back(*value);
    }
    return out;
}

protocol::OriginList origins(const toml::node& node, std::string_view source,
                             std::string_view key) {
    std::vector<protocol::OriginPattern> patterns;
    std::size_t i = 0;
    for (const std::string& text : strings(node, source, key)) {
        std::string why;
        auto pattern = protocol::OriginPattern::parse(text, &why);
        if (!pattern) {
            std::string message = "'";
            message += text;
            message += "' is not an origin (scheme://host[:port]): ";
            message += why;
            bad(source, std::string(key) + "[" + std::to_string(i) + "]", message);
        }
        patterns.push_back(*pattern);
        ++i;
    }
    return protocol::OriginList(std::move(patterns));
}

// A browser's executable as /proc/PID/exe names it (daemon/browser_programs.*): absolute and
// plain, and, when it exists, the program file itself: the kernel names the file a link or a
// launcher script leads to, so a link or a script here would never match.
std::filesystem::path program_file(const std::string& written, std::string_view source,
                                   const std::string& key, const Environment& env) {
    const std::string text = written.rfind("~/", 0) == 0 ? env.home + written.substr(1) : written;
    std::filesystem::path program(text);
    if (!program.is_absolute()) bad(source, key, "'" + text + "' must be an absolute path");
    if (program.lexically_normal() != program || text.ends_with('/'))
        bad(source, key,
            "'" + text + "' must be written plainly (no '.', '..', '//' or final '/')");
    std::error_code ec;
    if (!std::filesystem::exists(program, ec)) return program;  // installed later, maybe
    const auto real = std::filesystem::canonical(program, ec);
    if (!ec && real != program)
        bad(source, key,
            "'" + text + "' is reached through a symbolic link; name the program itself: '" +
                real.string() + "'");
    if (!std::filesystem::is_regular_file(program, ec))
        bad(source, key, "'" + text + "' is not a program file");
    std::ifstream file(program, std::ios::binary);
    char start[2] = {};
    if (file.read(start, 2) && start[0] == '#' && start[1] == '!')
        bad(source, key,
            "'" + text +
                "' is a script; name the program it starts (what /proc/PID/exe of the running "
                "browser shows)");
    return program;
}

std::vector<std::filesystem::path> program_files(const toml::node& node, std::string_view source,
                                                 std::string_view key, const Environment& env) {
    std::vector<std::filesystem::path> out;
    for (const std::string& text : strings(node, source, key)) {
        const std::string at = std::string(key) + "[" + std::to_string(out.size()) + "]";
        out.push_back(program_file(text, source, at, env));
    }
    return out;
}

std::filesystem::path state_home(const Environment& env) {
    if (!env.xdg_state_home.empty()) return env.xdg_state_home;
    return std::filesystem::path(env.home) / ".local" / "state";
}

// Levenshtein distance, for "did you mean" (keys are short).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The known key nearest to a misspelt one, or "" when none is near (at most a third changed).
std::string nearest_key(std::string_view key, const std::vector<std::string_view>& known) {
    std::string best;
    std::size_t best_distance = key.size() / 3 + 1;
    for (auto name : known) {
        // A key cut short ("prompt_timeout") is near whatever it starts.
        const std::size_t d =
            name.starts_with(key) || key.starts_with(name) ? 1 : edit_distance(key, name);
        if (d < best_distance) best_distance = d, best = std::string(name);
    }
    return best;
}

}  // namespace

Environment Environment::from_process() {
    Environment env;
    env.home = env_or_empty("HOME");
    env.xdg_runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
    env.xdg_state_home = env_or_empty("XDG_STATE_HOME");
    env.xdg_config_home = env_or_empty("XDG_CONFIG_HOME");
    env.sithsd_config = env_or_empty("SITHSD_CONFIG");
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
        env.locale = env_or_empty(name);
        if (!env.locale.empty()) break;
    }
    env.uid = static_cast<unsigned>(::getuid());
    return env;
}

Config default_config(const Environment& env) {
    Config config;
    // $XDG_RUNTIME_DIR is per user and 0700; without it, a per-uid folder in /tmp (the
    // transport checks its owner and mode before using it).
    if (!env.xdg_runtime_dir.empty())
        config.unix_socket = std::filesystem::path(env.xdg_runtime_dir) / "sithsd" / "sithsd.sock";
    else
        config.unix_socket =
            std::filesystem::path("/tmp") / ("sithsd-" + std::to_string(env.uid)) / "sithsd.sock";
    // Net iD first (the SITHS vendor middleware), then OpenSC; main() uses the first found.
    for (const auto& candidate : pkcs11::Module::default_candidates(env.home))
        config.modules.emplace_back(candidate);
    config.state_dir = state_home(env) / "sithsd";
    config.audit_log = config.state_dir / "audit.jsonl";
    // Swedish first: English only when the locale asks for it.
    config.language = env.locale.starts_with("en") ? "en" : "sv";
    return config;
}

Config parse_config(std::string_view text, const Environment& env, std::string_view source) {
    toml::table table;
    try {
        table = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        std::ostringstream out;
        out << source << ":" << e.source().begin.line << ":" << e.source().begin.column
            << ": not valid TOML: " << e.description();
        throw ConfigError(out.str());
    }

    Config config = default_config(env);
    bool audit_log_set = false;
    using Setter = std::function<void(const toml::node&, std::string_view)>;
    const std::map<std::string, Setter, std::less<>> setters = {
        {"websocket", [&](const toml::node& n,
                          std::string_view k) { config.websocket = boolean(n, source, k); }},
        {"port",
         [&](const toml::node& n, std::string_view k) {
             config.port = static_cast<std::uint16_t>(integer(n, source, k, 1, 65535));
         }},
        {"unix_socket", [&](const toml::node& n,
                            std::string_view k) { config.unix_socket = path(n, source, k, env); }},
        {"modules",
         [&](const toml::node& n, std::string_view k) {
             config.modules.clear();  // an empty list: run without card modules
             config.modules_configured = true;
             for (const std::string& m : strings(n, source, k)) {
                 std::string p = m.starts_with("~/") ? env.home + m.substr(1) : m;
                 config.modules.emplace_back(p);
             }
         }},
        {"pinentry",
         [&](const toml::node& n, std::string_view k) { config.pinentry = string(n, source, k); }},
        {"allowed_origins",
         [&](const toml::node& n, std::string_view k) {
             config.allowed_origins = origins(n, source, k);
         }},
        {"denied_origins",
         [&](const toml::node& n, std::string_view k) {
             config.denied_origins = origins(n, source, k);
         }},
        {"prompt_unknown_origins",
         [&](const toml::node& n, std::string_view k) {
             config.prompt_unknown_origins = boolean(n, source, k);
         }},
        {"identification_pin_cache_seconds",
         [&](const toml::node& n, std::string_view k) {
             config.identification_pin_cache = std::chrono::seconds(integer(n, source, k, 0, 3600));
         }},
        {"prompt_timeout_seconds",
         [&](const toml::node& n, std::string_view k) {
             config.prompt_timeout = std::chrono::seconds(integer(n, source, k, 1, 3600));
         }},
        {"max_connections",
         [&](const toml::node& n, std::string_view k) {
             config.max_connections = static_cast<std::uint32_t>(integer(n, source, k, 1, 65535));
         }},
        {"state_dir", [&](const toml::node& n,
                          std::string_view k) { config.state_dir = path(n, source, k, env); }},
        {"audit_log",
         [&](const toml::node& n, std::string_view k) {
             config.audit_log = path(n, source, k, env);
             audit_log_set = true;
         }},
        {"language",
         [&](const toml::node& n, std::string_view k) {
             std::string lang = string(n, source, k);
             if (lang != "sv" && lang != "en") bad(source, k, "must be \"sv\" or \"en\"");
             config.language = lang;
         }},
        {"idle_timeout_seconds",
         [&](const toml::node& n, std::string_view k) {
             config.idle_timeout = std::chrono::seconds(integer(n, source, k, 1, 86400));
         }},
        {"rate_limit_per_minute",
         [&](const toml::node& n, std::string_view k) {
             config.rate_limit_per_minute =
                 static_cast<std::uint32_t>(integer(n, source, k, 0, 1'000'000));
         }},
        {"idle_exit_seconds",
         [&](const toml::node& n, std::string_view k) {
             config.idle_exit = std::chrono::seconds(integer(n, source, k, 0, 86400));
         }},
        {"desktop_reminders",
         [&](const toml::node& n, std::string_view k) {
             config.desktop_reminders = boolean(n, source, k);
         }},
        {"browser_certificates",
         [&](const toml::node& n, std::string_view k) {
             std::string which = string(n, source, k);
             if (which != "hsaId" && which != "all") bad(source, k, "must be \"hsaId\" or \"all\"");
             config.browser_all_certificates = which == "all";
         }},
        {"browser_programs",
         [&](const toml::node& n, std::string_view k) {
             config.browser_programs = program_files(n, source, k, env);
         }},
    };

    for (const auto& [key, node] : table) {
        auto setter = setters.find(key.str());
        if (setter == setters.end()) {
            std::vector<std::string_view> known;
            known.reserve(setters.size());
            for (const auto& [name, unused] : setters) known.push_back(name);
            const auto near = nearest_key(key.str(), known);
            throw ConfigError(std::string(source) + ": unknown key '" + std::string(key.str()) +
                              "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
        }
        setter->second(node, key.str());
    }
    // The audit log follows a moved state_dir unless it was placed explicitly.
    if (!audit_log_set) config.audit_log = config.state_dir / "audit.jsonl";
    return config;
}

Config load_config(const std::filesystem::path& file, const Environment& env) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(file.string() + ": cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(file.string() + ": cannot be read");
    return parse_config(text.str(), env, file.string());
}

Config load_effective_config(const std::string& config_flag, const Environment& env) {
    if (!config_flag.empty()) return load_config(config_flag, env);
    if (!env.sithsd_config.empty()) return load_config(env.sithsd_config, env);
    if (auto found = find_config_file(env)) return load_config(*found, env);
    return default_config(env);
}

std::filesystem::path default_config_path(const Environment& env) {
    std::filesystem::path base = env.xdg_config_home.empty()
                                     ? std::filesystem::path(env.home) / ".config"
                                     : std::filesystem::path(env.xdg_config_home);
    return base / "sithsd" / "sithsd.toml";
}

std::optional<std::filesystem::path> find_config_file(const Environment& env) {
    for (const auto& candidate : {default_config_path(env), kSystemConfigPath}) {
        std::error_code ec;
        if (std::filesystem::exists(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

}  // namespace sithsd::daemon
