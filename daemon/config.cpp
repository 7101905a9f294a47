#include "daemon/config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

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

std::filesystem::path state_home(const Environment& env) {
    if (!env.xdg_state_home.empty()) return env.xdg_state_home;
    return std::filesystem::path(env.home) / ".local" / "state";
}

}  // namespace

Environment Environment::from_process() {
    Environment env;
    env.home = env_or_empty("HOME");
    env.xdg_runtime_dir = env_or_empty("XDG_RUNTIME_DIR");
    env.xdg_state_home = env_or_empty("XDG_STATE_HOME");
    env.xdg_config_home = env_or_empty("XDG_CONFIG_HOME");
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
    };

    for (const auto& [key, node] : table) {
        auto setter = setters.find(key.str());
        if (setter == setters.end())
            throw ConfigError(std::string(source) + ": unknown key '" + std::string(key.str()) +
                              "'");
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

std::filesystem::path default_config_path(const Environment& env) {
    std::filesystem::path base = env.xdg_config_home.empty()
                                     ? std::filesystem::path(env.home) / ".config"
                                     : std::filesystem::path(env.xdg_config_home);
    return base / "sithsd" / "sithsd.toml";
}

}  // namespace sithsd::daemon
