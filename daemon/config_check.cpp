#include "daemon/config_check.hpp"

#include <cstdio>
#include <filesystem>

namespace sithsd::daemon {

void check_config_on_machine(const Config& config, const std::string& source) {
    if (!config.modules_configured) return;  // the default list: the first found is used
    for (std::size_t i = 0; i < config.modules.size(); ++i) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(config.modules[i], ec))
            throw ConfigError(source + ": key 'modules[" + std::to_string(i) +
                              "]': " + config.modules[i].string() + " does not exist");
    }
}

int run_check_config(const std::string& config_file, const Environment& env) {
    // The file sithsd itself would read (load_effective_config's order).
    std::string source = config_file;
    if (source.empty()) source = env.sithsd_config;
    if (source.empty())
        if (auto found = find_config_file(env)) source = found->string();
    try {
        const Config config = source.empty() ? default_config(env) : load_config(source, env);
        check_config_on_machine(config, source.empty() ? "defaults" : source);
    } catch (const ConfigError& e) {
        std::fprintf(stderr, "sithsd: %s\n", e.what());
        return 2;
    }
    std::printf("%s: ok\n", source.empty() ? "no config file, the defaults" : source.c_str());
    return 0;
}

}  // namespace sithsd::daemon
