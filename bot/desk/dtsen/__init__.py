"""The office's DTSEN list at the desk: reading its export (CSV or a spreadsheet), mapping its
columns, checking each row, storing it in place of the previous list, and the lookup a clerk
sees beside a case's answers. Nothing here tells a citizen anything: only the desk reads it."""
