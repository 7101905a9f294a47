/* follow_events [COUNT]: prints sithsd's notifications (cards coming and going, certificates about
 * to expire) as they come, from a poll() loop on sithsd_fd(), as a GLib or Qt main loop would
 * watch it; stops after COUNT of them (default: never).
 * Build: cc follow_events.c $(pkg-config --cflags --libs sithsd-client) */
#include <poll.h>
#include <sithsd/client.h>
#include <stdio.h>
#include <stdlib.h>

static long seen = 0;

static void on_notification(const sithsd_notification *n, void *user_data) {
    (void)user_data; /* no state of ours beyond `seen` */
    if (sithsd_notification_kind_of(n) == SITHSD_NOTIFICATION_CARDS_CHANGED) {
        const sithsd_card_list *cards = sithsd_notification_cards(n);
        printf("cardsChanged: %zu card(s)\n", sithsd_card_list_size(cards));
    } else if (sithsd_notification_kind_of(n) == SITHSD_NOTIFICATION_CERTIFICATE_EXPIRING) {
        printf("certificateExpiring: %s in %d days\n", sithsd_notification_certificate_id(n),
               sithsd_notification_days_left(n));
    } else {
        printf("%s %s\n", sithsd_notification_method(n), sithsd_notification_params_json(n));
    }
    fflush(stdout);
    ++seen;
}

int main(int argc, char **argv) {
    const long count = argc > 1 ? atol(argv[1]) : -1;
    sithsd_client *client = NULL;
    sithsd_error *error = NULL;
    if (sithsd_connect(NULL, 5000, &client, &error) != SITHSD_OK) {
        fprintf(stderr, "follow_events: %s\n", sithsd_error_message(error));
        sithsd_free(error);
        return 1;
    }
    sithsd_set_notification_callback(client, on_notification, NULL);
    printf("following sithsd's events\n");
    fflush(stdout);
    while (count < 0 || seen < count) {
        struct pollfd watch = {sithsd_fd(client), POLLIN, 0};
        if (poll(&watch, 1, -1) < 0) break;
        sithsd_status status = sithsd_process(client, 0);
        if (status != SITHSD_OK) {
            fprintf(stderr, "follow_events: %s\n", sithsd_status_message(status));
            break;
        }
    }
    sithsd_free(client);
    return seen >= count ? 0 : 1;
}
