package modx

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Encryption types of formit_forms.encryption_type.
const (
	EncryptionMcrypt  = 1 // legacy mcrypt Rijndael-256: not AES, cannot be read
	EncryptionOpenSSL = 2
)

// ErrLegacyEncryption marks a form encrypted with mcrypt (type 1).
var ErrLegacyEncryption = errors.New("form encrypted with legacy mcrypt")

// ErrBadCiphertext means the stored value is not what FormIt writes.
var ErrBadCiphertext = errors.New("bad formit ciphertext")

// FormItCipher returns the AES key and IV FormIt derives from its setting:
// PHP passes hex sha256(setting) (64 chars) as the key and openssl_encrypt
// silently truncates it to the 32 bytes AES-256 takes; the IV is the first
// 16 chars of hex sha256(hex md5(setting)).
func FormItCipher(setting string) (key, iv []byte) {
	k := sha256.Sum256([]byte(setting))
	m := md5.Sum([]byte(setting))
	v := sha256.Sum256([]byte(hex.EncodeToString(m[:])))
	return []byte(hex.EncodeToString(k[:])[:32]), []byte(hex.EncodeToString(v[:])[:16])
}

// DecryptFormValues decrypts a formit_forms.values of encryption type 2:
// base64(openssl_encrypt(json, 'AES-256-CBC', key, 0, iv)), where options 0
// makes openssl_encrypt itself return base64, so the column is base64 twice.
func DecryptFormValues(setting, ciphertext string) (string, error) {
	outer, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ciphertext))
	if err != nil {
		return "", fmt.Errorf("%w: outer base64: %v", ErrBadCiphertext, err)
	}
	raw, err := base64.StdEncoding.DecodeString(string(outer))
	if err != nil {
		return "", fmt.Errorf("%w: inner base64: %v", ErrBadCiphertext, err)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 {
		return "", fmt.Errorf("%w: %d bytes is not a whole number of blocks", ErrBadCiphertext, len(raw))
	}
	key, iv := FormItCipher(setting)
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("formit cipher: %w", err)
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		// Also what a wrong key looks like.
		return "", fmt.Errorf("%w: bad padding (wrong key?)", ErrBadCiphertext)
	}
	return string(plain[:len(plain)-pad]), nil
}

// FormValues returns a form's JSON values, decrypting them when needed.
func FormValues(f shop.Form, setting string) (string, error) {
	if !f.Encrypted {
		return f.Values, nil
	}
	// Old FormIt without the encryption_type column only had mcrypt.
	if f.EncryptionType != EncryptionOpenSSL {
		return "", fmt.Errorf("form %d: %w", f.ID, ErrLegacyEncryption)
	}
	plain, err := DecryptFormValues(setting, f.Values)
	if err != nil {
		return "", fmt.Errorf("form %d: %w", f.ID, err)
	}
	return plain, nil
}
