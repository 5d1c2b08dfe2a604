package modxtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
)

// EncryptFormValues encrypts the way FormIt 4 does:
// base64_encode(openssl_encrypt($json, 'AES-256-CBC', hash('sha256', $key), 0, $iv)).
// openssl_encrypt with options 0 returns base64 itself, hence two encodings.
func EncryptFormValues(setting, plain string) string {
	key, iv := modx.FormItCipher(setting)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	data := append([]byte(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	inner := base64.StdEncoding.EncodeToString(data)
	return base64.StdEncoding.EncodeToString([]byte(inner))
}
