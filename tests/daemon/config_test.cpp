#include "daemon/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pkcs11/module.hpp"

using namespace sithsd::daemon;

namespace {

Environment env() {
    Environment e;
    e.home = "/home/tolvan";
    e.xdg_runtime_dir = "/run/user/1000";
    e.xdg_state_home = "";
    e.locale = "sv_SE.UTF-8";
    e.uid = 1000;
    return e;
}

// The message of the ConfigError thrown for `toml`, or "" when none is thrown.
std::string error_of(const std::string& toml) {
    try {
        (void)parse_config(toml, env(), "test.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Config, DefaultsFollowPROTOCOL) {
    Config c = default_config(env());
    EXPECT_TRUE(c.websocket);
    EXPECT_EQ(c.port, 24891);
    EXPECT_EQ(c.unix_socket, "/run/user/1000/sithsd/sithsd.sock");
    ASSERT_EQ(c.modules.size(), sithsd::pkcs11::Module::default_candidates("/home/tolvan").size());
    // Net iD's places first (the user's own install first of all), then OpenSC's.
    EXPECT_EQ(c.modules.front(), "/home/tolvan/.iid/lib/libiidp11.so");
    EXPECT_EQ(c.modules.back().filename(), "opensc-pkcs11.so");
    EXPECT_FALSE(c.modules_configured);
    EXPECT_EQ(c.pinentry, "pinentry");
    EXPECT_TRUE(c.allowed_origins.empty());
    EXPECT_TRUE(c.denied_origins.empty());
    EXPECT_TRUE(c.prompt_unknown_origins);
    EXPECT_EQ(c.identification_pin_cache.count(), 0);
    EXPECT_EQ(c.prompt_timeout.count(), 120);
    EXPECT_EQ(c.max_connections, 256u);
    EXPECT_EQ(c.state_dir, "/home/tolvan/.local/state/sithsd");
    EXPECT_EQ(c.audit_log, "/home/tolvan/.local/state/sithsd/audit.jsonl");
    EXPECT_EQ(c.language, "sv");
    EXPECT_EQ(c.idle_timeout.count(), 600);
}

TEST(Config, EmptyFileGivesDefaults) {
    Config c = parse_config("", env());
    EXPECT_EQ(c.port, 24891);
    EXPECT_EQ(c.modules.size(), sithsd::pkcs11::Module::default_candidates("/home/tolvan").size());
}

TEST(Config, FallbacksWithoutXdgVariables) {
    Environment e = env();
    e.xdg_runtime_dir.clear();
    e.locale = "en_GB.UTF-8";
    Config c = default_config(e);
    EXPECT_EQ(c.unix_socket, "/tmp/sithsd-1000/sithsd.sock");
    EXPECT_EQ(c.language, "en");
    e.xdg_state_home = "/var/state/tolvan";
    e.locale = "C";
    c = default_config(e);
    EXPECT_EQ(c.state_dir, "/var/state/tolvan/sithsd");
    EXPECT_EQ(c.audit_log, "/var/state/tolvan/sithsd/audit.jsonl");
    EXPECT_EQ(c.language, "sv");  // Swedish unless the locale asks for English
}

TEST(Config, EveryKeyIsRead) {
    Config c = parse_config(R"(
websocket = false
port = 30000
unix_socket = "~/sock/s.sock"
modules = ["/opt/softcard.so", "~/lib/x.so"]
pinentry = "/usr/bin/pinentry-gnome3"
allowed_origins = ["http://127.0.0.1:8080", "https://*.region.se"]
denied_origins = ["https://evil.example.se"]
prompt_unknown_origins = false
identification_pin_cache_seconds = 3600
prompt_timeout_seconds = 30
max_connections = 4
state_dir = "/var/lib/sithsd"
audit_log = "/var/log/sithsd.jsonl"
language = "en"
idle_timeout_seconds = 90
)",
                            env());
    EXPECT_FALSE(c.websocket);
    EXPECT_EQ(c.port, 30000);
    EXPECT_EQ(c.unix_socket, "/home/tolvan/sock/s.sock");
    ASSERT_EQ(c.modules.size(), 2u);
    EXPECT_EQ(c.modules[0], "/opt/softcard.so");
    EXPECT_EQ(c.modules[1], "/home/tolvan/lib/x.so");
    EXPECT_EQ(c.pinentry, "/usr/bin/pinentry-gnome3");
    ASSERT_EQ(c.allowed_origins.patterns().size(), 2u);
    EXPECT_EQ(c.allowed_origins.patterns()[1].serialize(), "https://*.region.se");
    EXPECT_TRUE(
        c.denied_origins.matches(*sithsd::protocol::parse_origin("https://evil.example.se")));
    EXPECT_FALSE(c.prompt_unknown_origins);
    EXPECT_EQ(c.identification_pin_cache.count(), 3600);
    EXPECT_EQ(c.prompt_timeout.count(), 30);
    EXPECT_EQ(c.max_connections, 4u);
    EXPECT_EQ(c.state_dir, "/var/lib/sithsd");
    EXPECT_EQ(c.audit_log, "/var/log/sithsd.jsonl");
    EXPECT_EQ(c.language, "en");
    EXPECT_EQ(c.idle_timeout.count(), 90);
}

TEST(Config, EmptyModuleListMeansNoCardModules) {
    EXPECT_TRUE(parse_config("modules = []", env()).modules.empty());
}

TEST(Config, AuditLogFollowsStateDir) {
    Config c = parse_config("state_dir = \"/srv/s\"", env());
    EXPECT_EQ(c.audit_log, "/srv/s/audit.jsonl");
}

TEST(Config, BadValuesNameTheKey) {
    const std::pair<const char*, const char*> cases[] = {
        {"port = 0", "'port'"},
        {"port = 65536", "'port'"},
        {"port = -1", "'port'"},
        {"port = \"24891\"", "'port'"},
        {"port = 1.0", "'port'"},
        {"port = true", "'port'"},
        {"unix_socket = 5", "'unix_socket'"},
        {"unix_socket = \"\"", "'unix_socket'"},
        {"unix_socket = \"relative.sock\"", "'unix_socket'"},
        {"modules = \"/x.so\"", "'modules'"},
        {"modules = [\"\"]", "'modules[0]'"},
        {"modules = [\"/a.so\", 2]", "'modules[1]'"},
        {"pinentry = []", "'pinentry'"},
        {"pinentry = \"\"", "'pinentry'"},
        {"allowed_origins = \"https://a.se\"", "'allowed_origins'"},
        {"allowed_origins = [\"https://a.se/\"]", "'allowed_origins[0]'"},
        {"allowed_origins = [\"https://a.se\", \"a.se\"]", "'allowed_origins[1]'"},
        {"allowed_origins = [\"null\"]", "'allowed_origins[0]'"},
        {"allowed_origins = [\"http://*.a.example.se\"]", "'allowed_origins[0]'"},
        {"allowed_origins = [\"https://*.se\"]", "'allowed_origins[0]'"},
        {"allowed_origins = [\"https://u@a.se\"]", "'allowed_origins[0]'"},
        {"denied_origins = [\"https://a.se?x\"]", "'denied_origins[0]'"},
        {"denied_origins = [1]", "'denied_origins[0]'"},
        {"websocket = 0", "'websocket'"},
        {"websocket = \"off\"", "'websocket'"},
        {"prompt_unknown_origins = 1", "'prompt_unknown_origins'"},
        {"prompt_unknown_origins = \"false\"", "'prompt_unknown_origins'"},
        {"identification_pin_cache_seconds = 3601", "'identification_pin_cache_seconds'"},
        {"identification_pin_cache_seconds = -5", "'identification_pin_cache_seconds'"},
        {"identification_pin_cache_seconds = \"60\"", "'identification_pin_cache_seconds'"},
        {"prompt_timeout_seconds = 0", "'prompt_timeout_seconds'"},
        {"prompt_timeout_seconds = 3601", "'prompt_timeout_seconds'"},
        {"max_connections = 0", "'max_connections'"},
        {"max_connections = 100000", "'max_connections'"},
        {"state_dir = \"state\"", "'state_dir'"},
        {"audit_log = 1", "'audit_log'"},
        {"language = \"de\"", "'language'"},
        {"language = \"SV\"", "'language'"},
        {"language = \"\"", "'language'"},
        {"idle_timeout_seconds = 0", "'idle_timeout_seconds'"},
        {"bind = \"0.0.0.0\"", "unknown key 'bind'"},
        {"address = \"0.0.0.0\"", "unknown key 'address'"},
        {"Port = 1", "unknown key 'Port'"},
        {"[server]\nport = 1", "unknown key 'server'"},
    };
    for (const auto& [toml, key] : cases) {
        std::string error = error_of(toml);
        EXPECT_NE(error.find(key), std::string::npos) << toml << " -> " << error;
        EXPECT_EQ(error.rfind("test.toml", 0), 0u) << error;
    }
}

TEST(Config, RateLimitPerMinute) {
    EXPECT_EQ(default_config(env()).rate_limit_per_minute, 120u);  // the limit before the key
    EXPECT_EQ(parse_config("rate_limit_per_minute = 10", env()).rate_limit_per_minute, 10u);
    EXPECT_EQ(parse_config("rate_limit_per_minute = 0", env()).rate_limit_per_minute, 0u);  // off
    for (const char* toml : {"rate_limit_per_minute = -1", "rate_limit_per_minute = 2000000",
                             "rate_limit_per_minute = \"120\"", "rate_limit_per_minute = 1.5"}) {
        std::string error = error_of(toml);
        EXPECT_NE(error.find("'rate_limit_per_minute'"), std::string::npos)
            << toml << " -> " << error;
    }
}

TEST(Config, BrowserCertificates) {
    EXPECT_FALSE(default_config(env()).browser_all_certificates);  // HSA-ID only by default
    EXPECT_FALSE(parse_config("browser_certificates = \"hsaId\"", env()).browser_all_certificates);
    EXPECT_TRUE(parse_config("browser_certificates = \"all\"", env()).browser_all_certificates);
    for (const char* toml : {"browser_certificates = \"signing\"", "browser_certificates = 1"}) {
        std::string error = error_of(toml);
        EXPECT_NE(error.find("'browser_certificates'"), std::string::npos)
            << toml << " -> " << error;
    }
}

// Issue 23: programs besides the known browsers that moduleSign serves, as /proc/PID/exe names
// them: a link or a launcher script would never match, so they are refused, the link naming its
// real file.
TEST(Config, BrowserProgramsAreRealExecutables) {
    EXPECT_TRUE(default_config(env()).browser_programs.empty());
    const auto dir = std::filesystem::canonical(std::filesystem::temp_directory_path()) /
                     ("sithsd-config-programs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto program = dir / "browser", launcher = dir / "launcher", link = dir / "link";
    std::ofstream(program) << "\x7f"
                              "ELF";
    std::ofstream(launcher) << "#!/bin/sh\nexec " << program.string() << "\n";
    std::filesystem::create_symlink(program, link);
    const auto key = [](const std::filesystem::path& p) {
        return "browser_programs = [\"" + p.string() + "\"]";
    };

    auto c =
        parse_config("browser_programs = [\"/opt/not-installed/browser\", \"~/bin/b\"]", env());
    EXPECT_EQ(c.browser_programs, (std::vector<std::filesystem::path>{"/opt/not-installed/browser",
                                                                      "/home/tolvan/bin/b"}));
    EXPECT_EQ(parse_config(key(program), env()).browser_programs.at(0), program);
    std::string error = error_of(key(link));
    EXPECT_NE(error.find("'browser_programs[0]'"), std::string::npos) << error;
    EXPECT_NE(error.find("symbolic link"), std::string::npos) << error;
    EXPECT_NE(error.find("'" + program.string() + "'"), std::string::npos) << error;
    EXPECT_NE(error_of(key(launcher)).find("is a script"), std::string::npos);
    EXPECT_NE(error_of(key(dir)).find("is not a program file"), std::string::npos);
    for (const char* toml :
         {"browser_programs = [\"firefox\"]", "browser_programs = [\"/usr/lib/../bin/x\"]",
          "browser_programs = [\"/usr/bin/x/\"]", "browser_programs = [\"\"]",
          "browser_programs = \"/usr/bin/x\"", "browser_programs = [1]"}) {
        error = error_of(toml);
        EXPECT_NE(error.find("'browser_programs"), std::string::npos) << toml << " -> " << error;
    }
    std::filesystem::remove_all(dir);
}

TEST(Config, InvalidTomlGivesLine) {
    std::string error = error_of("port = 1\nport = 2\n");
    EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;
    EXPECT_NE(error_of("port = = 1").find("not valid TOML"), std::string::npos);
}

TEST(Config, LoadFromFile) {
    auto dir = std::filesystem::temp_directory_path() / "sithsd-config-test";
    std::filesystem::create_directories(dir);
    auto file = dir / "c.toml";
    {
        std::ofstream out(file);
        out << "port = 12345\nlanguage = \"en\"\n";
    }
    Config c = load_config(file, env());
    EXPECT_EQ(c.port, 12345);
    EXPECT_EQ(c.language, "en");
    EXPECT_THROW((void)load_config(dir / "missing.toml", env()), ConfigError);
    std::filesystem::remove_all(dir);
}

TEST(Config, DefaultConfigPath) {
    Environment e = env();
    EXPECT_EQ(default_config_path(e), "/home/tolvan/.config/sithsd/sithsd.toml");
    e.xdg_config_home = "/cfg";
    EXPECT_EQ(default_config_path(e), "/cfg/sithsd/sithsd.toml");
}

TEST(Config, UnknownKeysGetADidYouMean) {
    EXPECT_NE(error_of("prompt_timeout = 30").find("did you mean 'prompt_timeout_seconds'"),
              std::string::npos)
        << error_of("prompt_timeout = 30");
    EXPECT_NE(error_of("alowed_origins = []").find("did you mean 'allowed_origins'"),
              std::string::npos);
    EXPECT_NE(error_of("Port = 1").find("did you mean 'port'"), std::string::npos);
    EXPECT_EQ(error_of("bind = \"0.0.0.0\"").find("did you mean"), std::string::npos)
        << "nothing near: no guess";
}

TEST(Config, SithsdConfigNamesTheFileWithoutTheFlag) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("sithsd-config-env-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "env.toml") << "port = 23456\n";
        std::ofstream(dir / "flag.toml") << "port = 34567\n";
    }
    Environment e = env();
    e.xdg_config_home = (dir / "none").string();
    EXPECT_EQ(load_effective_config("", e).port, 24891) << "nothing named: the defaults";
    e.sithsd_config = (dir / "env.toml").string();
    EXPECT_EQ(load_effective_config("", e).port, 23456);
    EXPECT_EQ(load_effective_config((dir / "flag.toml").string(), e).port, 34567)
        << "--config wins";
    e.sithsd_config = (dir / "missing.toml").string();
    EXPECT_THROW((void)load_effective_config("", e), ConfigError) << "a named file must exist";
    std::filesystem::remove_all(dir);
}
