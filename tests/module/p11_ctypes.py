"""A minimal PKCS#11 caller through ctypes: the few functions a TLS client login uses, each
returning the raw CK_RV, so that tests can see the exact code a browser would get."""
import ctypes

CK_ULONG = ctypes.c_ulong
CKO_PRIVATE_KEY = 3
CKA_CLASS = 0
CKF_SERIAL_SESSION = 4
CKM_RSA_PKCS = 1
CKM_ECDSA = 0x1041
CKF_DONT_BLOCK = 1
CKR = {0: "CKR_OK", 0x6: "CKR_FUNCTION_FAILED", 0x7: "CKR_ARGUMENTS_BAD", 0x8: "CKR_NO_EVENT", 0x32: "CKR_DEVICE_REMOVED",
       0x50: "CKR_FUNCTION_CANCELED", 0x60: "CKR_KEY_HANDLE_INVALID",
       0x91: "CKR_OPERATION_NOT_INITIALIZED", 0xA0: "CKR_PIN_INCORRECT", 0xA4: "CKR_PIN_LOCKED",
       0xB3: "CKR_SESSION_HANDLE_INVALID", 0xE0: "CKR_TOKEN_NOT_PRESENT",
       0x150: "CKR_BUFFER_TOO_SMALL", 0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
       0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED", 0x21: "CKR_DATA_LEN_RANGE"}
# Positions in CK_FUNCTION_LIST after the version (PKCS#11 2.40 order).
INDEX = {"C_Initialize": 0, "C_Finalize": 1, "C_GetSlotList": 4, "C_OpenSession": 12,
         "C_CloseSession": 13, "C_FindObjectsInit": 26, "C_FindObjects": 27,
         "C_FindObjectsFinal": 28, "C_SignInit": 42, "C_Sign": 43, "C_WaitForSlotEvent": 67}


class Attribute(ctypes.Structure):
    _fields_ = [("type", CK_ULONG), ("value", ctypes.c_void_p), ("length", CK_ULONG)]


class Mechanism(ctypes.Structure):
    _fields_ = [("mechanism", CK_ULONG), ("parameter", ctypes.c_void_p), ("length", CK_ULONG)]


class Module:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        functions = ctypes.c_void_p()
        assert self.lib.C_GetFunctionList(ctypes.byref(functions)) == 0
        # The version (2 bytes) is padded to a pointer's alignment.
        self.table = ctypes.cast(functions.value + ctypes.sizeof(ctypes.c_void_p),
                                 ctypes.POINTER(ctypes.c_void_p))

    def rv(self, name, *args):
        raw = ctypes.CFUNCTYPE(CK_ULONG, *[ctypes.c_void_p] * len(args))(self.table[INDEX[name]])
        code = raw(*args)
        return CKR.get(code, "0x%x" % code)

    # --- a TLS client login's sequence ---
    def first_session(self):
        slots = (CK_ULONG * 8)()
        count = CK_ULONG(8)
        assert self.rv("C_GetSlotList", 1, ctypes.addressof(slots), ctypes.addressof(count)) == "CKR_OK"
        assert count.value > 0, "no token"
        session = CK_ULONG()
        assert self.rv("C_OpenSession", slots[0], CKF_SERIAL_SESSION, None, None,
                       ctypes.addressof(session)) == "CKR_OK"
        return session.value

    def private_key(self, session):
        klass = CK_ULONG(CKO_PRIVATE_KEY)
        template = Attribute(CKA_CLASS, ctypes.addressof(klass), ctypes.sizeof(klass))
        assert self.rv("C_FindObjectsInit", session, ctypes.addressof(template), 1) == "CKR_OK"
        handle, found = CK_ULONG(), CK_ULONG()
        assert self.rv("C_FindObjects", session, ctypes.addressof(handle), 1,
                       ctypes.addressof(found)) == "CKR_OK"
        assert self.rv("C_FindObjectsFinal", session) == "CKR_OK"
        assert found.value == 1
        return handle.value

    def slot_event(self):
        """(rv, slot) of C_WaitForSlotEvent(CKF_DONT_BLOCK)."""
        slot = CK_ULONG()
        return self.rv("C_WaitForSlotEvent", CKF_DONT_BLOCK, ctypes.addressof(slot), None), slot.value

    def sign_init(self, session, key, mechanism=CKM_RSA_PKCS):
        mech = Mechanism(mechanism, None, 0)
        return self.rv("C_SignInit", session, ctypes.addressof(mech), key)

    def sign(self, session, data, room=512):
        """(rv, signature) of one C_Sign with `room` bytes; room None asks for the length."""
        buf = ctypes.create_string_buffer(data)
        length = CK_ULONG(room or 0)
        out = ctypes.create_string_buffer(room) if room else None
        rv = self.rv("C_Sign", session, ctypes.addressof(buf), len(data),
                     ctypes.addressof(out) if out else None, ctypes.addressof(length))
        return rv, (out.raw[:length.value] if out else length.value)
