/* sign_file FILE TEXT OUT.p7s: signs FILE with the signing certificate (the one with an HSA-ID)
 * as a detached CMS; the person is shown TEXT in sithsd's PIN dialog, and TEXT is in the CMS.
 * Build: cc sign_file.c $(pkg-config --cflags --libs sithsd-client) */
#include <sithsd/client.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *read_file(const char *path, size_t *length) {
    FILE *in = fopen(path, "rb");
    if (!in) return NULL;
    unsigned char *data = malloc(512 * 1024 + 1); /* sithsd signs at most 512 KiB of data */
    *length = data ? fread(data, 1, 512 * 1024 + 1, in) : 0;
    fclose(in);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: sign_file FILE \"TEXT\" OUT.p7s\n");
        return 2;
    }
    size_t length = 0;
    unsigned char *data = read_file(argv[1], &length);
    if (!data || length > 512 * 1024) {
        fprintf(stderr, "sign_file: cannot read %s (or it is over 512 KiB)\n", argv[1]);
        free(data);
        return 1;
    }
    sithsd_client *client = NULL;
    sithsd_error *error = NULL;
    sithsd_certificate_list *certificates = NULL;
    sithsd_signature *cms = NULL;
    sithsd_status status = sithsd_connect(NULL, 5000, &client, &error);
    if (status == SITHSD_OK)
        status = sithsd_list_certificates(client, SITHSD_PURPOSE_SIGNING, SITHSD_REQUIRE_HSA_ID,
                                          NULL, &certificates, &error);
    if (status == SITHSD_OK && sithsd_certificate_list_size(certificates) == 0) {
        fprintf(stderr, "sign_file: no signing certificate with an HSA-ID on an inserted card\n");
        status = SITHSD_E_NO_CARD;
    } else if (status == SITHSD_OK) {
        const sithsd_certificate *signer = sithsd_certificate_list_at(certificates, 0);
        status = sithsd_sign(client, sithsd_certificate_id(signer), argv[2], SITHSD_FORMAT_CMS,
                             data, length, &cms, &error);
    }
    int rc = 0;
    if (status == SITHSD_OK) {
        size_t cms_length = 0;
        const uint8_t *bytes = sithsd_signature_bytes(cms, &cms_length);
        FILE *out = fopen(argv[3], "wb");
        if (!out || fwrite(bytes, 1, cms_length, out) != cms_length) {
            fprintf(stderr, "sign_file: cannot write %s\n", argv[3]);
            rc = 1;
        }
        if (out) fclose(out);
    } else if (error) {
        fprintf(stderr, "sign_file: %s (%s)\n", sithsd_error_message(error), sithsd_error_reason(error));
        rc = 1;
    } else {
        rc = 1;
    }
    sithsd_free(error);
    sithsd_free(cms);
    sithsd_free(certificates);
    sithsd_free(client);
    free(data);
    return rc;
}
