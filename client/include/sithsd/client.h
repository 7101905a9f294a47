/* sithsd/client.h: the C interface of libsithsd-client, a client of sithsd's Unix socket for
 * desktop programs (docs/DESKTOP.md; the protocol is docs/PROTOCOL.md; man sithsd-client(3)).
 *
 * The rules, for every function below:
 *  - Handles are opaque. Everything the library gives you (a client, a list, a token, a signature,
 *    a notification, an error, a string) is yours and is released with sithsd_free(). A pointer
 *    into such an object (a card of a list, a string of a certificate) is valid until you free
 *    the object it came from.
 *  - Functions return a sithsd_status; results come through out-parameters, which are set only
 *    on SITHSD_OK. An `error` out-parameter may be NULL; when it is not, it receives the details
 *    of a failure (or NULL on success), to be freed with sithsd_free().
 *  - Strings are UTF-8 and NUL-terminated, in and out. Times are seconds since the epoch (UTC).
 *  - No C++ exception and no signal leaves the library (sockets are written with MSG_NOSIGNAL).
 *  - Threads: a client may be shared between threads. Its calls run one at a time (a second caller
 *    waits for the first, within its own timeout); sithsd_cancel() may be called from any thread
 *    at any time and ends the call in progress. Several operations at once need several clients.
 *    Notification callbacks run on the thread that calls sithsd_process().
 *  - Nothing here touches a PIN: sithsd asks for it in its own dialog.
 * The ABI is stable within soname libsithsd-client.so.0: functions and enum values are only ever
 * added. */
#ifndef SITHSD_CLIENT_H
#define SITHSD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SITHSD_CLIENT_VERSION_MAJOR 0
#define SITHSD_CLIENT_VERSION_MINOR 1

/* ------------------------------------------------------------------------------------------- */
/* Status codes (man sithsd_status(3)). 0 is success; 1..99 are the library's own; the others are
 * the daemon's error codes, with the numbers of docs/PROTOCOL.md "Errors". */
typedef enum sithsd_status {
    SITHSD_OK = 0,
    SITHSD_E_INVALID_ARGUMENT = 1, /* a NULL or malformed argument; nothing was sent */
    SITHSD_E_NO_MEMORY = 2,
    SITHSD_E_NOT_RUNNING = 3, /* nothing listens on the socket: sithsd is not running */
    SITHSD_E_TIMED_OUT = 4,   /* no connection or no answer within the timeout */
    SITHSD_E_CLOSED = 5,      /* the connection is closed (the daemon went away); connect anew */
    SITHSD_E_MALFORMED = 6,   /* the daemon sent something this library cannot read */
    SITHSD_E_TOO_LONG = 7,    /* an answer longer than the library accepts */
    SITHSD_E_IO = 8,          /* another socket error */
    SITHSD_E_INTERNAL = 9,    /* a fault in this library */
    SITHSD_E_NO_NOTIFICATION = 10, /* sithsd_next_notification(): none came within the timeout */
    /* JSON-RPC 2.0's codes: a mistake in a request (a bug in the program or the library) */
    SITHSD_E_PARSE_ERROR = -32700,
    SITHSD_E_INVALID_REQUEST = -32600,
    SITHSD_E_METHOD_NOT_FOUND = -32601,
    SITHSD_E_INVALID_PARAMS = -32602, /* sithsd_error_field() names the parameter */
    SITHSD_E_INTERNAL_ERROR = -32603,
    /* sithsd's reasons (error.data.reason on the wire; sithsd_status_name() gives the name) */
    SITHSD_E_ORIGIN_DENIED = 1001,
    SITHSD_E_USER_CANCELLED = 1002,
    SITHSD_E_NO_CARD = 1003,
    SITHSD_E_CARD_REMOVED = 1004,
    SITHSD_E_CERTIFICATE_NOT_FOUND = 1005,
    SITHSD_E_CERTIFICATE_SELECTION_REQUIRED = 1006, /* sithsd_error_candidates() */
    SITHSD_E_PIN_INCORRECT = 1007,
    SITHSD_E_PIN_BLOCKED = 1008,
    SITHSD_E_PROMPT_UNAVAILABLE = 1009,
    SITHSD_E_BUSY = 1010,
    SITHSD_E_TIMEOUT = 1011, /* the person did not answer sithsd's prompt in time */
    SITHSD_E_TOKEN_ERROR = 1012,
    SITHSD_E_CERTIFICATE_EXPIRED = 1013,
    SITHSD_E_LOCAL_ONLY = 1014,
    SITHSD_E_RATE_LIMITED = 1015,
    SITHSD_E_SHUTTING_DOWN = 1016,
    SITHSD_E_DAEMON_OTHER = 1999 /* an error code newer than this header: see sithsd_error_code() */
} sithsd_status;

/* "OK", "NOT_RUNNING", "PIN_BLOCKED", ...: the name of a status (the wire reason for the daemon's
 * codes). Never NULL; static storage. Thread-safe. */
const char* sithsd_status_name(sithsd_status status);
/* A short English sentence for a status. Never NULL; static storage. Thread-safe. */
const char* sithsd_status_message(sithsd_status status);
/* 1 when the same request may succeed later (the person can act: insert the card, try again),
 * 0 otherwise. Thread-safe. */
int sithsd_status_retryable(sithsd_status status);

/* ------------------------------------------------------------------------------------------- */
/* Vocabulary */
typedef enum sithsd_purpose {
    SITHSD_PURPOSE_ANY = 0, /* in filters only */
    SITHSD_PURPOSE_IDENTIFICATION = 1,
    SITHSD_PURPOSE_SIGNING = 2
} sithsd_purpose;

typedef enum sithsd_pin_kind {
    SITHSD_PIN_IDENTIFICATION = 0,
    SITHSD_PIN_SIGNING = 1
} sithsd_pin_kind;

/* A PIN's state as the card reports it; tries left for a SITHS card's three: 3, 2, 1, 0. */
typedef enum sithsd_pin_status {
    SITHSD_PIN_UNKNOWN = 0,
    SITHSD_PIN_OK = 1,
    SITHSD_PIN_COUNT_LOW = 2,
    SITHSD_PIN_FINAL_TRY = 3,
    SITHSD_PIN_LOCKED = 4
} sithsd_pin_status;

/* Which identity a certificate must carry (listCertificates' and authenticate's `require`). */
typedef enum sithsd_require {
    SITHSD_REQUIRE_NONE = 0,
    SITHSD_REQUIRE_HSA_ID = 1,
    SITHSD_REQUIRE_PERSONAL_IDENTITY_NUMBER = 2
} sithsd_require;

typedef enum sithsd_signature_format {
    SITHSD_FORMAT_CMS = 0, /* detached CMS SignedData (CAdES-BES) with the display text in it */
    SITHSD_FORMAT_RAW = 1  /* the bare signature over the hash (ECDSA as JWS r||s) */
} sithsd_signature_format;

typedef enum sithsd_hash {
    SITHSD_HASH_SHA256 = 0,
    SITHSD_HASH_SHA384 = 1,
    SITHSD_HASH_SHA512 = 2
} sithsd_hash;

/* ------------------------------------------------------------------------------------------- */
/* Handles */
typedef struct sithsd_client sithsd_client;
typedef struct sithsd_error sithsd_error;
typedef struct sithsd_card_list sithsd_card_list;
typedef struct sithsd_card sithsd_card;
typedef struct sithsd_certificate_list sithsd_certificate_list;
typedef struct sithsd_certificate sithsd_certificate;
typedef struct sithsd_token sithsd_token;
typedef struct sithsd_signature sithsd_signature;
typedef struct sithsd_notification sithsd_notification;

/* Releases anything the library returned (NULL is ignored). A client must not be in use on
 * another thread. After fork(), a child may free the parent's client (it only closes its own
 * descriptors) but must not use it. */
void sithsd_free(void* object);

/* ------------------------------------------------------------------------------------------- */
/* Connection (man sithsd_connect(3)) */

/* Connects to sithsd within timeout_ms, and says hello (sithsd tells its notifications only to a
 * client that has spoken). socket_path NULL: $SITHSD_SOCKET, else
 * $XDG_RUNTIME_DIR/sithsd/sithsd.sock, else /tmp/sithsd-UID/sithsd.sock. Thread-safe. */
sithsd_status sithsd_connect(const char* socket_path, int timeout_ms, sithsd_client** client,
                             sithsd_error** error);
/* Where sithsd_connect(NULL, ...) connects; free with sithsd_free(). Thread-safe. */
char* sithsd_default_socket_path(void);
/* The longest any later call on this client waits for its answer (default 300000 ms: a person may
 * take minutes over a PIN; sithsd itself ends its prompt after prompt_timeout_seconds). */
sithsd_status sithsd_set_timeout(sithsd_client* client, int timeout_ms);
/* Ends the call in progress on this client, from any thread: sithsd closes its prompt and the
 * call returns SITHSD_E_USER_CANCELLED. SITHSD_OK also when no call was in progress. */
sithsd_status sithsd_cancel(sithsd_client* client);

/* The daemon's version ("1.4.0"); free with sithsd_free(). */
sithsd_status sithsd_hello(sithsd_client* client, char** daemon_version, sithsd_error** error);
/* Any method by name (docs/PROTOCOL.md), params a JSON object as text or NULL; the result as JSON
 * text, freed with sithsd_free(). For methods without a function of their own (status, ...). */
sithsd_status sithsd_call(sithsd_client* client, const char* method, const char* params_json,
                          char** result_json, sithsd_error** error);

/* ------------------------------------------------------------------------------------------- */
/* Cards and certificates (man sithsd_list_cards(3)) */
sithsd_status sithsd_list_cards(sithsd_client* client, sithsd_card_list** cards,
                                sithsd_error** error);
size_t sithsd_card_list_size(const sithsd_card_list* cards);
const sithsd_card* sithsd_card_list_at(const sithsd_card_list* cards, size_t index);
const char* sithsd_card_id(const sithsd_card* card);
const char* sithsd_card_reader(const sithsd_card* card);
const char* sithsd_card_label(const sithsd_card* card);
sithsd_pin_status sithsd_card_pin_status(const sithsd_card* card, sithsd_pin_kind pin);
/* 1 when the PIN is typed on the reader's own keys */
int sithsd_card_pin_pad(const sithsd_card* card, sithsd_pin_kind pin);

/* card_id NULL: every card. */
sithsd_status sithsd_list_certificates(sithsd_client* client, sithsd_purpose purpose,
                                       sithsd_require require, const char* card_id,
                                       sithsd_certificate_list** certificates,
                                       sithsd_error** error);
size_t sithsd_certificate_list_size(const sithsd_certificate_list* certificates);
const sithsd_certificate* sithsd_certificate_list_at(const sithsd_certificate_list* certificates,
                                                     size_t index);
const char* sithsd_certificate_id(const sithsd_certificate* certificate);
const char* sithsd_certificate_card_id(const sithsd_certificate* certificate);
sithsd_purpose sithsd_certificate_purpose(const sithsd_certificate* certificate);
/* The certificate's DER bytes; *length receives their number. */
const uint8_t* sithsd_certificate_der(const sithsd_certificate* certificate, size_t* length);
/* "Tolvan Tolvansson, Testregionen Västra": what a chooser shows. */
const char* sithsd_certificate_display_name(const sithsd_certificate* certificate);
const char* sithsd_certificate_common_name(const sithsd_certificate* certificate);
/* NULL when the subject has none. */
const char* sithsd_certificate_organization(const sithsd_certificate* certificate);
/* The HSA-ID, or NULL. */
const char* sithsd_certificate_hsa_id(const sithsd_certificate* certificate);
/* The personnummer (12 digits), or NULL. */
const char* sithsd_certificate_personal_identity_number(const sithsd_certificate* certificate);
const char* sithsd_certificate_issuer(const sithsd_certificate* certificate);
/* "RSA-2048", "EC-P256", "EC-P384". */
const char* sithsd_certificate_key_algorithm(const sithsd_certificate* certificate);
int64_t sithsd_certificate_not_before(const sithsd_certificate* certificate);
int64_t sithsd_certificate_not_after(const sithsd_certificate* certificate);

/* ------------------------------------------------------------------------------------------- */
/* Logging in (man sithsd_authenticate(3)). origin: the https origin of the program's own backend
 * (shown in the PIN prompt); challenge_nonce: that backend's nonce (base64, 44..128 characters);
 * certificate_id NULL: the one identification certificate that matches `require`. */
sithsd_status sithsd_authenticate(sithsd_client* client, const char* origin,
                                  const char* challenge_nonce, const char* certificate_id,
                                  sithsd_require require, sithsd_token** token,
                                  sithsd_error** error);
/* The whole token as JSON text (web-eid:1.0), to send to the backend as it is. */
const char* sithsd_token_json(const sithsd_token* token);
const char* sithsd_token_algorithm(const sithsd_token* token);
const uint8_t* sithsd_token_certificate_der(const sithsd_token* token, size_t* length);

/* ------------------------------------------------------------------------------------------- */
/* Signing (man sithsd_sign(3)). display_text: what the person is shown and signs (1..500 bytes,
 * required for CMS); certificate_id NULL: the one signing certificate. sithsd_sign() signs data
 * (at most 512 KiB); sithsd_sign_hash() a hash made by the program. */
sithsd_status sithsd_sign(sithsd_client* client, const char* certificate_id,
                          const char* display_text, sithsd_signature_format format,
                          const uint8_t* data, size_t length, sithsd_signature** signature,
                          sithsd_error** error);
sithsd_status sithsd_sign_hash(sithsd_client* client, const char* certificate_id,
                               const char* display_text, sithsd_signature_format format,
                               sithsd_hash hash_algorithm, const uint8_t* hash, size_t length,
                               sithsd_signature** signature, sithsd_error** error);
sithsd_signature_format sithsd_signature_format_of(const sithsd_signature* signature);
/* The DER CMS (SITHSD_FORMAT_CMS) or the bare signature (SITHSD_FORMAT_RAW). */
const uint8_t* sithsd_signature_bytes(const sithsd_signature* signature, size_t* length);
/* "RS256", "PS256", "ES256", ... for raw signatures; NULL for CMS. */
const char* sithsd_signature_algorithm(const sithsd_signature* signature);
const uint8_t* sithsd_signature_certificate_der(const sithsd_signature* signature, size_t* length);

/* The PINs, asked by sithsd in its own dialog (changePin, unblockPin with the PUK). */
sithsd_status sithsd_change_pin(sithsd_client* client, const char* card_id, sithsd_pin_kind pin,
                                sithsd_error** error);
sithsd_status sithsd_unblock_pin(sithsd_client* client, const char* card_id, sithsd_pin_kind pin,
                                 sithsd_error** error);

/* ------------------------------------------------------------------------------------------- */
/* Notifications (man sithsd_process(3)): sithsd tells of cards coming and going (cardsChanged)
 * and of certificates about to expire (certificateExpiring). They are queued as they arrive;
 * nothing is delivered while you are not looking. */
typedef enum sithsd_notification_kind {
    SITHSD_NOTIFICATION_OTHER = 0, /* a newer one: see sithsd_notification_method() */
    SITHSD_NOTIFICATION_CARDS_CHANGED = 1,
    SITHSD_NOTIFICATION_CERTIFICATE_EXPIRING = 2
} sithsd_notification_kind;

/* Called by sithsd_process() for each notification; the notification is the library's (copy
 * what you keep). It may call this library, also on the same client. */
typedef void (*sithsd_notification_callback)(const sithsd_notification* notification,
                                             void* user_data);
/* With a callback, sithsd_process() delivers every queued notification to it; NULL: they stay
 * queued for sithsd_next_notification(). */
sithsd_status sithsd_set_notification_callback(sithsd_client* client,
                                               sithsd_notification_callback callback,
                                               void* user_data);
/* A descriptor for poll()/GLib/Qt: readable when the daemon sent something or a notification is
 * queued; then call sithsd_process(client, 0). Owned by the client (do not close it). */
int sithsd_fd(const sithsd_client* client);
/* Reads what the daemon sent, waiting up to timeout_ms when nothing is queued (0: only what is
 * there; -1: until something arrives; it may come back early with nothing), and hands the queued
 * notifications to the callback if one is set. SITHSD_E_CLOSED when the daemon went away (the
 * descriptor then stays readable: stop watching it and free the client). */
sithsd_status sithsd_process(sithsd_client* client, int timeout_ms);
/* The next queued notification, waiting up to timeout_ms (-1: no limit) for one; free it with
 * sithsd_free(). SITHSD_E_NO_NOTIFICATION when none came. */
sithsd_status sithsd_next_notification(sithsd_client* client, int timeout_ms,
                                       sithsd_notification** notification);
sithsd_notification_kind sithsd_notification_kind_of(const sithsd_notification* notification);
const char* sithsd_notification_method(const sithsd_notification* notification);
/* The params as JSON text. */
const char* sithsd_notification_params_json(const sithsd_notification* notification);
/* cardsChanged: the cards now present (as sithsd_list_cards); NULL for other kinds. */
const sithsd_card_list* sithsd_notification_cards(const sithsd_notification* notification);
/* certificateExpiring: the certificate, its end and the days left (NULL / 0 for other kinds). */
const char* sithsd_notification_certificate_id(const sithsd_notification* notification);
int64_t sithsd_notification_not_after(const sithsd_notification* notification);
int sithsd_notification_days_left(const sithsd_notification* notification);

/* ------------------------------------------------------------------------------------------- */
/* Errors (man sithsd_error(3)): what went wrong, beyond the status. */
sithsd_status sithsd_error_status(const sithsd_error* error);
/* The daemon's error.code (0 for the library's own failures). */
int64_t sithsd_error_code(const sithsd_error* error);
/* The wire reason ("PIN_BLOCKED"), or the library's ("NOT_RUNNING"). Never NULL. */
const char* sithsd_error_reason(const sithsd_error* error);
/* An English sentence (the daemon's error.message, or the library's). Never NULL. */
const char* sithsd_error_message(const sithsd_error* error);
/* After a wrong PIN: the PIN's state and the tries left (-1 when not known). */
sithsd_pin_status sithsd_error_pin_status(const sithsd_error* error);
int sithsd_error_tries_left(const sithsd_error* error);
/* SITHSD_E_INVALID_PARAMS: the parameter's wire name ("displayText"); else NULL. */
const char* sithsd_error_field(const sithsd_error* error);
/* SITHSD_E_TOKEN_ERROR: the PKCS#11 error ("CKR_DEVICE_ERROR"); else NULL. */
const char* sithsd_error_ckr(const sithsd_error* error);
/* SITHSD_E_CERTIFICATE_SELECTION_REQUIRED: the certificates to choose from; else NULL. */
const sithsd_certificate_list* sithsd_error_candidates(const sithsd_error* error);

#ifdef __cplusplus
}
#endif

#endif /* SITHSD_CLIENT_H */
