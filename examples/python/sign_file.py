#!/usr/bin/python3
"""sign_file.py FILE TEXT OUT.p7s: signs FILE with the signing certificate that carries an HSA-ID,
as a detached CMS; the person is shown TEXT in sithsd's PIN dialog, and TEXT is in the CMS."""
import sys
from pathlib import Path

import sithsd

if len(sys.argv) != 4:
    sys.exit('usage: sign_file.py FILE "TEXT" OUT.p7s')
try:
    with sithsd.Client() as client:
        signers = client.list_certificates(purpose="signing", require="hsaId")
        if not signers:
            sys.exit("sign_file: no signing certificate with an HSA-ID on an inserted card")
        cms = client.sign(Path(sys.argv[1]).read_bytes(), display_text=sys.argv[2],
                          certificate_id=signers[0].id)
    Path(sys.argv[3]).write_bytes(cms.bytes)
except sithsd.SithsdError as e:
    sys.exit(f"sign_file: {e}")
