#pragma once
// A private copy of the test world for one test process: tests log in with wrong PINs, remove
// cards and block PINs, so each works on its own copy. The module is loaded from that copy's
// configuration through the same dlopen path as a vendor module.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "pkcs11/module.hpp"

namespace sithsd::test {

enum class Backend { softcard, softhsm };

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string env_or_fail(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value)
        throw std::runtime_error(std::string(name) + " is not set (run through ctest)");
    return value;
}

// Runs a command; returns its exit status.
inline int run(const std::string& command) {
    return std::system(command.c_str());
}

class TestWorld {
  public:
    TestWorld() {
        std::filesystem::path source = SITHSD_TEST_WORLD;
        char templ[] = "/tmp/sithsd-world-XXXXXX";
        if (!mkdtemp(templ)) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;
        std::filesystem::copy(source, dir_, std::filesystem::copy_options::recursive);
        // softhsm2.conf names its token folder absolutely: point it at the copy.
        std::string conf = read_file(dir_ / "softhsm2.conf");
        auto pos = conf.find(source.string());
        while (pos != std::string::npos) {
            conf.replace(pos, source.string().size(), dir_.string());
            pos = conf.find(source.string(), pos + dir_.string().size());
        }
        std::ofstream(dir_ / "softhsm2.conf") << conf;
        setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
        setenv("SOFTCARD_CONF", (dir_ / "softcard.json").c_str(), 1);
    }
    ~TestWorld() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    TestWorld(const TestWorld&) = delete;
    TestWorld& operator=(const TestWorld&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path card_file(const std::string& card, const std::string& file) const {
        return dir_ / "cards" / card / file;
    }
    // softcard-ctl on this world: insert, remove, pinpad, fail, delay, …
    int ctl(const std::string& args) const {
        return run(std::string(SITHSD_TEST_SOFTCARD_CTL) + " " + dir_.string() + " " + args +
                   " >/dev/null");
    }

  private:
    std::filesystem::path dir_;
};

inline Backend backend() {
    return env_or_fail("SITHSD_TEST_BACKEND") == "softhsm" ? Backend::softhsm : Backend::softcard;
}

inline std::string module_path() {
    return backend() == Backend::softhsm ? SITHSD_TEST_SOFTHSM_MODULE : SITHSD_TEST_SOFTCARD_MODULE;
}

}  // namespace sithsd::test
