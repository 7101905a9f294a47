/* login ORIGIN NONCE: logs in to ORIGIN (this program's own backend) with the identification
 * certificate that carries an HSA-ID, and prints the web-eid:1.0 token for the backend, which
 * checks it (`sithsctl verify-token` does what a backend does).
 * Build: cc login.c $(pkg-config --cflags --libs sithsd-client) */
#include <sithsd/client.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: login https://ORIGIN NONCE\n");
        return 2;
    }
    sithsd_client *client = NULL;
    sithsd_error *error = NULL;
    sithsd_token *token = NULL;
    sithsd_status status = sithsd_connect(NULL, 5000, &client, &error);
    if (status == SITHSD_OK)
        status = sithsd_authenticate(client, argv[1], argv[2], NULL, SITHSD_REQUIRE_HSA_ID, &token,
                                     &error);
    if (status != SITHSD_OK) {
        fprintf(stderr, "login: %s (%s)", sithsd_error_message(error), sithsd_status_name(status));
        if (sithsd_error_tries_left(error) >= 0)
            fprintf(stderr, "; %d tries left", sithsd_error_tries_left(error));
        fprintf(stderr, "\n");
        sithsd_free(error);
        sithsd_free(client);
        return 1;
    }
    printf("%s\n", sithsd_token_json(token));
    sithsd_free(token);
    sithsd_free(client);
    return 0;
}
