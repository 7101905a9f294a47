// libsithsd-client (the shared library, through its C++ interface) against the real sithsd on the
// soft card: run by run_e2e.py, which starts the daemon with the scripted pinentry and passes
// SITHSD_SOCKET, E2E_PINENTRY_SCRIPT (answers are appended to it), E2E_WORLD (softcard-ctl's
// folder), SOFTCARD_CTL and SITHSCTL. The token and the CMS are checked by sithsctl's verifiers.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "sithsd/client.hpp"

namespace {

using namespace std::chrono_literals;

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

void answer(const std::string& line) {
    std::ofstream(env("E2E_PINENTRY_SCRIPT"), std::ios::app) << line << '\n';
}

// Runs a command line (the words are ours, no user input); its exit status.
int run(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::filesystem::path temp_file(const std::string& name, const std::string& content) {
    auto path = std::filesystem::temp_directory_path() /
                ("sithsd-client-e2e-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

std::string verifier_options() {
    const std::string pki = env("E2E_WORLD") + "/pki";
    return " --trust " + pki + "/root.pem --intermediates " + pki + "/chain.pem --no-ocsp ";
}

class ClientE2e : public ::testing::Test {
  protected:
    sithsd::Client client = sithsd::Client::connect();  // SITHSD_SOCKET
};

TEST_F(ClientE2e, ListsTheSoftCardAndItsCertificates) {
    EXPECT_FALSE(client.hello().empty());
    const auto cards = client.list_cards();
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0].identification.status, sithsd::PinStatus::ok);
    const auto signing =
        client.list_certificates({sithsd::Purpose::signing, sithsd::Require::hsa_id, {}});
    ASSERT_EQ(signing.size(), 1u);
    EXPECT_EQ(signing[0].purpose, sithsd::Purpose::signing);
    EXPECT_TRUE(signing[0].hsa_id);
    EXPECT_EQ(signing[0].card_id, cards[0].id);
    EXPECT_GT(signing[0].not_after, std::chrono::system_clock::now());
    EXPECT_FALSE(signing[0].der.empty());
}

TEST_F(ClientE2e, AWrongPinSaysTheTriesLeftAndNothingElse) {
    answer("pin 000000");
    answer("cancel");
    try {
        client.authenticate(
            {"https://journal.example.se", std::string(44, 'n'), {}, sithsd::Require::hsa_id});
        FAIL() << "no error";
    } catch (const sithsd::Error& e) {
        EXPECT_EQ(e.status(), SITHSD_E_USER_CANCELLED);
        EXPECT_EQ(e.pin_status(), sithsd::PinStatus::count_low);
        EXPECT_EQ(e.tries_left(), 2);
    }
    // cardsChanged told of the wrong PIN; it waits in the queue.
    bool told = false;
    for (int i = 0; i < 20 && !told; ++i)
        if (auto n = client.next_notification(200ms))
            told = n->kind == sithsd::Notification::Kind::cards_changed && !n->cards.empty() &&
                   n->cards[0].identification.status == sithsd::PinStatus::count_low;
    EXPECT_TRUE(told);
}

TEST_F(ClientE2e, LogsInToANamedOriginAndTheTokenVerifies) {
    answer("pin 123456");
    const std::string nonce = "c2l0aHNkLWNsaWVudC1lMmUtbm9uY2UtMDEyMzQ1Njc4OWFiY2RlZg==";
    const auto token =
        client.authenticate({"https://journal.example.se", nonce, {}, sithsd::Require::hsa_id});
    EXPECT_NE(token.json.find("\"web-eid:1.0\""), std::string::npos);
    const auto file = temp_file("token.json", token.json);
    EXPECT_EQ(run(env("SITHSCTL") + " verify-token --origin https://journal.example.se --nonce " +
                  nonce + verifier_options() + file.string() + " >/dev/null"),
              0);
    EXPECT_NE(run(env("SITHSCTL") + " verify-token --origin https://other.example.se --nonce " +
                  nonce + verifier_options() + file.string() + " >/dev/null 2>&1"),
              0);
    std::filesystem::remove(file);
}

TEST_F(ClientE2e, SignsAFileAsCmsWithTheDisplayText) {
    answer("pin 654321");
    const std::string content = "Beställning VMU3000096\n";
    sithsd::SignRequest request;
    request.display_text = "Attest av beställning VMU3000096";
    request.data.assign(content.begin(), content.end());
    request.certificate_id =
        client.list_certificates({sithsd::Purpose::signing, sithsd::Require::hsa_id, {}}).at(0).id;
    const auto cms = client.sign(request);
    EXPECT_EQ(cms.format, sithsd::Format::cms);
    const auto data_file = temp_file("order.txt", content);
    const auto cms_file = temp_file("order.p7s", std::string(cms.bytes.begin(), cms.bytes.end()));
    EXPECT_EQ(run(env("SITHSCTL") + " verify-cms --content " + data_file.string() +
                  verifier_options() + cms_file.string() + " >/dev/null"),
              0);
    std::filesystem::remove(data_file);
    std::filesystem::remove(cms_file);
}

TEST_F(ClientE2e, CancelFromAnotherThreadClosesThePrompt) {
    answer("hang");
    std::thread canceller([&] {
        std::this_thread::sleep_for(700ms);  // the prompt is open by then
        client.cancel();
    });
    const auto started = std::chrono::steady_clock::now();
    try {
        client.authenticate(
            {"https://journal.example.se", std::string(44, 'n'), {}, sithsd::Require::hsa_id});
        ADD_FAILURE() << "no error";
    } catch (const sithsd::Error& e) {
        EXPECT_EQ(e.status(), SITHSD_E_USER_CANCELLED);
    }
    canceller.join();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_FALSE(client.hello().empty());  // the connection goes on
}

TEST_F(ClientE2e, CardEventsArriveThroughTheDescriptor) {
    std::vector<std::size_t> card_counts;
    client.on_notification([&](const sithsd::Notification& n) {
        if (n.kind == sithsd::Notification::Kind::cards_changed)
            card_counts.push_back(n.cards.size());
    });
    const std::string ctl = env("SOFTCARD_CTL") + " " + env("E2E_WORLD") + " ";
    auto wait_for = [&](std::size_t count) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline &&
               (card_counts.empty() || card_counts.back() != count))
            client.process(500ms);
        return !card_counts.empty() && card_counts.back() == count;
    };
    ASSERT_EQ(run(ctl + "remove tolvan"), 0);
    EXPECT_TRUE(wait_for(0));
    ASSERT_EQ(run(ctl + "insert tolvan"), 0);
    EXPECT_TRUE(wait_for(1));
}

}  // namespace
