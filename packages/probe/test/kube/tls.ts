/**
 * A self-signed certificate for 127.0.0.1 and localhost (valid until 2126) and its key, for the HTTPS API
 * server of the in-cluster test. Made for these tests only with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=kube-apiserver
 * -addext subjectAltName=IP:127.0.0.1,DNS:localhost`; it protects nothing.
 */

/** The private key (PEM). */
export const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJZRrSjNe2BWEpZqY
LEsLZ5r3D8hdIVtiKcazs3SmetShRANCAATJQaUpbaRwPPsta65Plmem/KrQGwtk
L1/e/9RL69mFRg9uS1a7/R75aKGh6/iCLJ0ak0fR36YSrWVU6cdWOKAQ
-----END PRIVATE KEY-----
`

/** The certificate (PEM), also the CA the service account trusts. */
export const cert = `-----BEGIN CERTIFICATE-----
MIIBpjCCAUugAwIBAgIUFdo9a/IQRyPE0kck/ffdBIewfWUwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOa3ViZS1hcGlzZXJ2ZXIwIBcNMjYxMTI3MDIwNjAwWhgPMjEy
NjExMDMwMjA2MDBaMBkxFzAVBgNVBAMMDmt1YmUtYXBpc2VydmVyMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEyUGlKW2kcDz7LWuuT5Znpvyq0BsLZC9f3v/US+vZ
hUYPbktWu/0e+Wihoev4giydGpNH0d+mEq1lVOnHVjigEKNvMG0wHQYDVR0OBBYE
FFVqv7AcJ9Y67AhRtmhZ3O2eHCs4MB8GA1UdIwQYMBaAFFVqv7AcJ9Y67AhRtmhZ
3O2eHCs4MA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9jYWxo
b3N0MAoGCCqGSM49BAMCA0kAMEYCIQC/J/DLTTsPNQqcvXQzCBHKAm9bgRW4coQz
/rBcWaB2RgIhAJi8Lfg8hE88pedYpUdZ+wrswNfMSMxKPEt0xQd3cC5A
-----END CERTIFICATE-----
`
