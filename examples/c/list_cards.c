/* list_cards: the inserted SITHS cards, the state of both PINs, and their certificates.
 * Build: cc list_cards.c $(pkg-config --cflags --libs sithsd-client) */
#include <sithsd/client.h>
#include <stdio.h>
#include <time.h>

static const char *pin_word(sithsd_pin_status status) {
    switch (status) {
    case SITHSD_PIN_OK: return "ok";
    case SITHSD_PIN_COUNT_LOW: return "wrong PIN typed before";
    case SITHSD_PIN_FINAL_TRY: return "one try left";
    case SITHSD_PIN_LOCKED: return "blocked";
    default: return "unknown";
    }
}

static int fail(const char *what, sithsd_error *error) {
    fprintf(stderr, "%s: %s (%s)\n", what, sithsd_error_message(error), sithsd_error_reason(error));
    sithsd_free(error);
    return 1;
}

int main(void) {
    sithsd_client *client = NULL;
    sithsd_error *error = NULL;
    if (sithsd_connect(NULL, 5000, &client, &error) != SITHSD_OK) return fail("connect", error);

    sithsd_card_list *cards = NULL;
    if (sithsd_list_cards(client, &cards, &error) != SITHSD_OK) {
        sithsd_free(client);
        return fail("listCards", error);
    }
    for (size_t i = 0; i < sithsd_card_list_size(cards); ++i) {
        const sithsd_card *card = sithsd_card_list_at(cards, i);
        printf("card %s in %s: identification PIN %s, signing PIN %s\n", sithsd_card_id(card),
               sithsd_card_reader(card),
               pin_word(sithsd_card_pin_status(card, SITHSD_PIN_IDENTIFICATION)),
               pin_word(sithsd_card_pin_status(card, SITHSD_PIN_SIGNING)));
    }
    sithsd_free(cards);

    sithsd_certificate_list *certificates = NULL;
    if (sithsd_list_certificates(client, SITHSD_PURPOSE_ANY, SITHSD_REQUIRE_NONE, NULL,
                                 &certificates, &error) != SITHSD_OK) {
        sithsd_free(client);
        return fail("listCertificates", error);
    }
    for (size_t i = 0; i < sithsd_certificate_list_size(certificates); ++i) {
        const sithsd_certificate *c = sithsd_certificate_list_at(certificates, i);
        const char *hsa_id = sithsd_certificate_hsa_id(c);
        time_t not_after = (time_t)sithsd_certificate_not_after(c);
        char until[32];
        strftime(until, sizeof until, "%Y-%m-%d", gmtime(&not_after));
        printf("  %-14s %s, %s, until %s  [%s]\n",
               sithsd_certificate_purpose(c) == SITHSD_PURPOSE_SIGNING ? "signing" : "identification",
               sithsd_certificate_display_name(c), hsa_id ? hsa_id : "(personnummer)", until,
               sithsd_certificate_id(c));
    }
    sithsd_free(certificates);
    sithsd_free(client);
    return 0;
}
