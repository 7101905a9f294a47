// sithsctl: the command-line client. The commands that talk to sithsd are in ctl_commands.cpp;
// here the relying-party checks of protocol/verifier.hpp:
//   sithsctl verify-token --origin O --nonce N --trust ROOTS.pem [...] TOKEN.json
//   sithsctl verify-cms --content FILE --trust ROOTS.pem [...] SIG.p7s
// Success: the identity as JSON on stdout, exit 0. Rejection: {"error":"REASON"} and exit 1.
// Usage errors exit 2.
#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "daemon/browser_registration.hpp"
#include "daemon/ctl_commands.hpp"
#include "daemon/doctor/doctor_command.hpp"
#include "protocol/verifier.hpp"

namespace {

using sithsd::protocol::VerifierOptions;
using sithsd::protocol::VerifyFailure;

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void add_verifier_options(CLI::App* cmd, VerifierOptions& options) {
    cmd->add_option("--trust", options.trust, "PEM file of trust anchors")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--intermediates", options.intermediates, "PEM file of intermediate CAs")
        ->check(CLI::ExistingFile);
    auto* no_ocsp = cmd->add_flag("--no-ocsp", options.no_ocsp, "skip the OCSP check");
    cmd->add_option("--ocsp-url", options.ocsp_url, "OCSP responder instead of the AIA's")
        ->excludes(no_ocsp);
}

int reject(const VerifyFailure& failure) {
    boost::json::object out;
    out["error"] = sithsd::protocol::verify_error_name(failure.reason);
    std::cout << boost::json::serialize(out) << '\n';
    std::cerr << "sithsctl: " << failure.detail << '\n';
    return 1;
}

int fail_usage(const std::string& message) {
    std::cerr << "sithsctl: " << message << '\n';
    return 2;
}

}  // namespace

static int run(int argc, char** argv) {
    CLI::App app{"sithsctl: command-line client of sithsd"};
    app.require_subcommand(1);

    VerifierOptions options;
    std::string origin, nonce, token_path;
    auto* token_cmd = app.add_subcommand("verify-token", "verify a web-eid:1 authentication token");
    token_cmd->add_option("--origin", origin, "the origin of this server")->required();
    token_cmd->add_option("--nonce", nonce, "the challenge nonce this server issued")->required();
    add_verifier_options(token_cmd, options);
    token_cmd->add_option("TOKEN", token_path, "the token (JSON)")
        ->required()
        ->check(CLI::ExistingFile);

    std::string content_path, cms_path;
    auto* cms_cmd = app.add_subcommand("verify-cms", "verify a detached CMS signature");
    cms_cmd->add_option("--content", content_path, "the signed content")
        ->required()
        ->check(CLI::ExistingFile);
    add_verifier_options(cms_cmd, options);
    cms_cmd->add_option("SIGNATURE", cms_path, "the CMS (DER)")
        ->required()
        ->check(CLI::ExistingFile);

    sithsd::daemon::CtlCommands daemon_commands(app);
    sithsd::daemon::BrowserRegistration browser_registration(app);
    sithsd::daemon::doctor::DoctorCommand doctor(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (int code = daemon_commands.run_selected(); code >= 0) return code;
    if (int code = browser_registration.run_selected(); code >= 0) return code;
    if (int code = doctor.run_selected(); code >= 0) return code;

    try {
        const sithsd::protocol::Verifier verifier(options);
        if (*token_cmd) {
            const auto token = read_file(token_path);
            if (!token) return fail_usage("cannot read " + token_path);
            const auto result = verifier.verify_token(
                std::string_view(reinterpret_cast<const char*>(token->data()), token->size()),
                origin, nonce);
            if (!result) return reject(result.error());
            std::cout << boost::json::serialize(to_json(*result)) << '\n';
            return 0;
        }
        const auto content = read_file(content_path);
        const auto cms = read_file(cms_path);
        if (!content || !cms) return fail_usage("cannot read the content or the signature");
        const auto result = verifier.verify_cms(*cms, *content);
        if (!result) return reject(result.error());
        boost::json::object out = to_json(result->signer);
        out["displayText"] =
            result->display_text ? boost::json::value(*result->display_text) : nullptr;
        out["signingTime"] = result->signing_time;
        std::cout << boost::json::serialize(out) << '\n';
        return 0;
    } catch (const std::exception& e) {
        return fail_usage(e.what());
    }
}

// Nothing escapes main: a failure that got this far is said, not a std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsctl: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "sithsctl: unexpected failure\n");
    }
    return 1;
}
