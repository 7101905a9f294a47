#include "daemon/ctl_commands.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include "common/digest.hpp"
#include "daemon/audit_table.hpp"
#include "daemon/config.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/ctl_audit.hpp"
#include "daemon/ctl_messages.hpp"
#include "daemon/local_client.hpp"
#include "protocol/base64.hpp"

namespace sithsd::daemon {

struct CtlCommands::Options {
    std::string config_file;
    std::string socket;
    bool json = false;
    std::string purpose;
    std::string origin, nonce, certificate_id;
    std::string text, in, out, format = "cms", hash_algorithm = "SHA-256";
    std::string card_id, pin = "identification";
    std::string revoke_origin, audit_file, since;
    std::vector<std::string> anchors;
};

namespace {

constexpr int kNotRunning = 3;

class DaemonNotRunning : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The daemon answered with an error: said in the configured language (ctl_messages.hpp).
class DaemonError : public std::runtime_error {
  public:
    explicit DaemonError(RpcError error)
        : std::runtime_error(error.reason + ": " + error.message), error_(std::move(error)) {}
    const RpcError& error() const { return error_; }

  private:
    RpcError error_;
};

// A person may take minutes over a PIN prompt (the daemon's prompt timeout is at most an hour,
// 120 s by default); nothing else takes more than a second.
constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::chrono::seconds kAnswerTimeout{300};

// One request over the Unix socket: the answer's result, or throws with its error.
boost::json::value call(const std::string& socket_path, const std::string& method,
                        boost::json::object params) {
    LocalClientOptions options;
    options.max_kept_notifications = 0;  // cardsChanged and the like are of no use here
    std::optional<LocalClient> client;
    try {
        client.emplace(LocalClient::connect(socket_path, kConnectTimeout, options));
    } catch (const LocalClientError& e) {
        if (e.failure() != LocalClientFailure::not_running) throw;
        throw DaemonNotRunning(
            "sithsd is not running (nothing listens on " + socket_path +
            "). Start it with `sithsd --config FILE`, or `systemctl --user start sithsd`. A sithsd "
            "started with --config FILE listens where FILE says: give sithsctl the same --config "
            "FILE (or set SITHSD_CONFIG=FILE for both).");
    }
    auto answer = client->call(method, std::move(params), kAnswerTimeout);
    if (!answer.ok()) throw DaemonError(*answer.error);
    return std::move(answer.result);
}

std::string str(const boost::json::value& v) {
    if (v.is_string()) return v.as_string().c_str();
    if (v.is_null()) return "-";
    return boost::json::serialize(v);
}

// Prints rows as a left-aligned table.
void table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    auto display_width = [](const std::string& s) {
        std::size_t n = 0;
        for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // UTF-8: count code points
        return n;
    };
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], display_width(row[i]));
        }
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            std::cout << row[i];
            if (i + 1 < row.size())
                std::cout << std::string(width[i] - display_width(row[i]) + 2, ' ');
        }
        std::cout << '\n';
    }
}

std::vector<std::uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The configured language, Swedish when the configuration cannot be read.
std::string ctl_language(const std::string& config_file) {
    try {
        return load_effective_config(config_file, Environment::from_process()).language;
    } catch (const std::exception&) {
        return "sv";
    }
}

int show_audit(const std::filesystem::path& file, const std::string& since,
               const std::string& origin) {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot read the audit log " + file.string());
    AuditFilter filter;
    filter.origin = origin;
    if (!since.empty()) {
        filter.since = parse_local_time(since);
        if (!filter.since)
            throw std::runtime_error("--since: not a time such as 2026-12-01 or 2026-12-01T08:00");
    }
    const auto rows = audit_rows(in, filter);
    if (rows.size() == 1)
        return std::cout << "nothing in the audit log " << file.string()
                         << (since.empty() && origin.empty() ? "" : " that matches") << '\n',
               0;
    table(rows);
    return 0;
}

}  // namespace

// The daemon's configuration as sithsd would read it (for the socket, state and audit paths).
Config load_ctl_config(const std::string& config_file) {
    return load_effective_config(config_file, Environment::from_process());
}

CtlCommands::CtlCommands(CLI::App& app) : options_(std::make_shared<Options>()) {
    auto& o = *options_;
    app.add_option("--config", o.config_file,
                   "sithsd's configuration (for the socket and state paths)");
    app.add_option("--socket", o.socket, "sithsd's Unix socket (default: from the configuration)");

    auto socket_of = [this] {
        return options_->socket.empty()
                   ? load_ctl_config(options_->config_file).unix_socket.string()
                   : options_->socket;
    };

    auto* status =
        app.add_subcommand("status", "the daemon's version, uptime, connections and cards");
    status->add_flag("--json", o.json, "JSON for scripts");
    commands_.emplace_back(status, [this, socket_of] {
        auto result = call(socket_of(), "status", {});
        if (options_->json) return std::cout << boost::json::serialize(result) << '\n', 0;
        const auto& s = result.as_object();
        std::cout << "sithsd " << str(s.at("version")) << ", up " << str(s.at("uptimeSeconds"))
                  << " s, " << str(s.at("connections")) << " connection(s), "
                  << s.at("cards").as_array().size() << " card(s)\n";
        for (const auto& c : s.at("expiringCertificates").as_array())
            std::cout << "expires in " << str(c.at("daysLeft"))
                      << " days: " << str(c.at("displayName")) << " (" << str(c.at("notAfter"))
                      << ")\n";
        return 0;
    });

    auto* cards = app.add_subcommand("cards", "the inserted cards and the state of their PINs");
    cards->add_flag("--json", o.json, "JSON for scripts");
    commands_.emplace_back(cards, [this, socket_of] {
        auto result = call(socket_of(), "listCards", {});
        if (options_->json) return std::cout << boost::json::serialize(result) << '\n', 0;
        std::vector<std::vector<std::string>> rows{
            {"CARD", "LABEL", "READER", "ID PIN", "SIGNING PIN"}};
        for (const auto& c : result.as_array()) {
            const auto& pins = c.at("pins").as_object();
            rows.push_back({str(c.at("cardId")), str(c.at("label")), str(c.at("reader")),
                            str(pins.at("identification").at("status")),
                            str(pins.at("signing").at("status"))});
        }
        if (rows.size() == 1) return std::cout << "no card inserted\n", 0;
        table(rows);
        return 0;
    });

    auto* certs = app.add_subcommand("certs", "the certificates on the inserted cards");
    certs->add_flag("--json", o.json, "JSON for scripts");
    certs->add_option("--purpose", o.purpose, "identification or signing")
        ->check(CLI::IsMember({"identification", "signing"}));
    commands_.emplace_back(certs, [this, socket_of] {
        boost::json::object params;
        if (!options_->purpose.empty()) params["purpose"] = options_->purpose;
        auto result = call(socket_of(), "listCertificates", params);
        if (options_->json) return std::cout << boost::json::serialize(result) << '\n', 0;
        std::vector<std::vector<std::string>> rows{
            {"CERTIFICATE", "PURPOSE", "NAME", "HSA-ID / PERSONNUMMER", "EXPIRES"}};
        for (const auto& c : result.as_array()) {
            std::string id =
                c.at("hsaId").is_null() ? str(c.at("personalIdentityNumber")) : str(c.at("hsaId"));
            rows.push_back(
                {str(c.at("certificateId")), str(c.at("purpose")), str(c.at("displayName")), id,
                 str(c.at("notAfter")).substr(0, 10) + " (" + str(c.at("expiresInDays")) + " d)"});
        }
        if (rows.size() == 1) return std::cout << "no certificates\n", 0;
        table(rows);
        return 0;
    });

    auto* auth = app.add_subcommand("authenticate", "log in to ORIGIN: prints a web-eid:1.0 token");
    auth->add_option("--origin", o.origin, "the https origin of the service")->required();
    auth->add_option("--nonce", o.nonce, "the service's challenge nonce")->required();
    auth->add_option("--cert", o.certificate_id, "certificateId, when several match");
    commands_.emplace_back(auth, [this, socket_of] {
        boost::json::object params{{"challengeNonce", options_->nonce},
                                   {"origin", options_->origin}};
        if (!options_->certificate_id.empty()) params["certificateId"] = options_->certificate_id;
        std::cout << boost::json::serialize(call(socket_of(), "authenticate", params)) << '\n';
        return 0;
    });

    auto* sign = app.add_subcommand("sign", "sign a file with the signing PIN");
    sign->add_option("--text", o.text, "what the person is asked to sign (shown in the PIN prompt)")
        ->required();
    sign->add_option("--in", o.in, "the file to sign")->required()->check(CLI::ExistingFile);
    sign->add_option("--out", o.out, "where to write the signature (CMS: DER .p7s)")->required();
    sign->add_option("--format", o.format, "cms (default) or raw")
        ->check(CLI::IsMember({"cms", "raw"}));
    sign->add_option("--cert", o.certificate_id, "certificateId, when several match");
    commands_.emplace_back(sign, [this, socket_of] {
        auto data = read_all(options_->in);
        // The prompt names the file and its SHA-256 beside the text, so that the person can tell
        // what the signature covers.
        const bool sv = load_ctl_config(options_->config_file).language != "en";
        const std::string shown =
            options_->text + "\n\n" + (sv ? "Fil: " : "File: ") +
            std::filesystem::path(options_->in).filename().string() +
            "\nSHA-256: " + sha256_hex({reinterpret_cast<const char*>(data.data()), data.size()});
        boost::json::object params{{"displayText", shown},
                                   {"format", options_->format},
                                   {"data", protocol::base64_encode(data)}};
        if (!options_->certificate_id.empty()) params["certificateId"] = options_->certificate_id;
        auto result = call(socket_of(), "sign", params).as_object();
        auto field = options_->format == "cms" ? "cms" : "signature";
        auto bytes = protocol::base64_decode(result.at(field).as_string().c_str());
        if (!bytes) throw std::runtime_error("sithsd sent bad base64");
        std::ofstream(options_->out, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes->data()),
                   static_cast<std::streamsize>(bytes->size()));
        std::cout << "signed " << options_->in << " -> " << options_->out << '\n';
        return 0;
    });

    for (const char* name : {"change-pin", "unblock-pin"}) {
        bool unblock = std::string(name) == "unblock-pin";
        auto* cmd = app.add_subcommand(name, unblock ? "set a new PIN with the PUK (asked locally)"
                                                     : "change a PIN (old and new asked locally)");
        cmd->add_option("--card", o.card_id, "cardId (see `sithsctl cards`)")->required();
        cmd->add_option("--pin", o.pin, "identification or signing")
            ->check(CLI::IsMember({"identification", "signing"}));
        commands_.emplace_back(cmd, [this, socket_of, unblock] {
            call(socket_of(), unblock ? "unblockPin" : "changePin",
                 {{"cardId", options_->card_id}, {"pin", options_->pin}});
            std::cout << "PIN changed\n";
            return 0;
        });
    }

    auto* origins = app.add_subcommand("origins", "the origins the person allowed or denied");
    auto* revoke = origins->add_subcommand("revoke", "forget the decision about ORIGIN");
    revoke->add_option("ORIGIN", o.revoke_origin)->required();
    commands_.emplace_back(origins, [this, revoke] {
        ConsentStore store(load_ctl_config(options_->config_file).state_dir / "origins.json");
        if (*revoke) {
            if (!store.forget(options_->revoke_origin))
                return std::cerr << "not remembered: " << options_->revoke_origin << '\n', 1;
            std::cout << "forgotten: " << options_->revoke_origin << '\n';
            return 0;
        }
        const auto all = store.all();
        if (all.empty())
            std::cout << "no origins remembered: a website you allow or deny when it first asks "
                         "is listed here\n";
        for (const auto& [origin, allowed] : all)
            std::cout << (allowed ? "allow  " : "deny   ") << origin << '\n';
        return 0;
    });

    auto* audit = app.add_subcommand("audit", "the audit log");
    auto* verify = audit->add_subcommand(
        "verify", "check the audit log's hash chain, its head, and what sithsd found at start");
    verify
        ->add_option("--anchor", o.anchors,
                     "LINES:SHA256 from an earlier `audit head`: that line must still be there")
        ->allow_extra_args(false)  // one per --anchor: FILE stays the file
        ->check(CLI::Validator(check_audit_anchor, "LINES:SHA256"));
    verify->add_option("FILE", o.audit_file, "the audit log (default: from the configuration)");
    auto* head = audit->add_subcommand(
        "head", "the log's last line (count, SHA-256, time): an anchor for a log collector");
    head->add_flag("--json", o.json, "JSON for scripts");
    head->add_option("FILE", o.audit_file, "the audit log (default: from the configuration)");
    auto* show = audit->add_subcommand("show", "the audit log as a table, in local time");
    show->add_option("--since", o.since, "from this local time on: 2026-12-01 or 2026-12-01T08:00");
    show->add_option("--origin", o.origin, "only what this website or program asked for");
    show->add_option("FILE", o.audit_file, "the audit log (default: from the configuration)");
    audit->require_subcommand(1);
    commands_.emplace_back(audit, [this, show, head] {
        std::filesystem::path file = options_->audit_file.empty()
                                         ? load_ctl_config(options_->config_file).audit_log
                                         : std::filesystem::path(options_->audit_file);
        if (*show) return show_audit(file, options_->since, options_->origin);
        if (*head) return run_audit_head(file, options_->json, ctl_language(options_->config_file));
        return run_audit_verify(file, options_->anchors);
    });
}

int CtlCommands::run_selected() {
    for (auto& [cmd, run] : commands_) {
        if (!*cmd) continue;
        try {
            return run();
        } catch (const DaemonNotRunning& e) {
            std::cerr << "sithsctl: " << e.what() << '\n';
            return kNotRunning;
        } catch (const DaemonError& e) {
            std::string language = "sv";
            try {
                language = load_ctl_config(options_->config_file).language;
            } catch (const std::exception&) {
                // the configuration was read before the call; Swedish if it cannot be now
            }
            std::cerr << "sithsctl: " << ctl_error_text(e.error(), language) << '\n';
            return 1;
        } catch (const std::exception& e) {
            std::cerr << "sithsctl: " << e.what() << '\n';
            return 1;
        }
    }
    return -1;
}

}  // namespace sithsd::daemon
