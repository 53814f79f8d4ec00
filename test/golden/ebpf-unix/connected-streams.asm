    0: (bf) r6 = r1                         ; ctx
    1: (79) r8 = *(u64 *)(r6 +8)            ; ctx->unix_sk
    2: (15) if r8 == 0x0 goto pc+103        ; end of the walk
    3: (79) r7 = *(u64 *)(r6 +0)            ; ctx->meta
    4: (79) r7 = *(u64 *)(r7 +24)           ; meta->seq
    5: (7a) *(u64 *)(r10 -152) = 0          ; record = {}
    6: (7a) *(u64 *)(r10 -144) = 0
    7: (7a) *(u64 *)(r10 -136) = 0
    8: (7a) *(u64 *)(r10 -128) = 0
    9: (7a) *(u64 *)(r10 -120) = 0
   10: (7a) *(u64 *)(r10 -112) = 0
   11: (7a) *(u64 *)(r10 -104) = 0
   12: (7a) *(u64 *)(r10 -96) = 0
   13: (7a) *(u64 *)(r10 -88) = 0
   14: (7a) *(u64 *)(r10 -80) = 0
   15: (7a) *(u64 *)(r10 -72) = 0
   16: (7a) *(u64 *)(r10 -64) = 0
   17: (7a) *(u64 *)(r10 -56) = 0
   18: (7a) *(u64 *)(r10 -48) = 0
   19: (7a) *(u64 *)(r10 -40) = 0
   20: (7a) *(u64 *)(r10 -32) = 0
   21: (7a) *(u64 *)(r10 -24) = 0
   22: (7a) *(u64 *)(r10 -16) = 0
   23: (7a) *(u64 *)(r10 -8) = 0
   24: (69) r1 = *(u16 *)(r8 +32)           ; skc_family
   25: (73) *(u8 *)(r10 -152) = r1
   26: (71) r3 = *(u8 *)(r8 +40)            ; skc_state
   27: (73) *(u8 *)(r10 -151) = r3
   28: (69) r4 = *(u16 *)(r8 +48)           ; sk_type
   29: (6b) *(u16 *)(r10 -150) = r4
   30: (55) if r4 != 0x1 goto pc+75         ; table selection
   31: (b7) r1 = 1                          ; state selection
   32: (6f) r1 <<= r3
   33: (57) r1 &= 2
   34: (15) if r1 == 0x0 goto pc+71
   35: (71) r1 = *(u8 *)(r8 +56)            ; sk_shutdown
   36: (73) *(u8 *)(r10 -145) = r1
   37: (61) r1 = *(u32 *)(r6 +16)           ; ctx->uid
   38: (63) *(u32 *)(r10 -128) = r1
   39: (79) r1 = *(u64 *)(r8 +64)           ; sk_ino
   40: (15) if r1 == 0x0 goto pc+65         ; no inode: unix_diag skips it
   41: (63) *(u32 *)(r10 -144) = r1
   42: (bf) r1 = r8
   43: (85) call bpf_get_socket_cookie#303
   44: (7b) *(u64 *)(r10 -120) = r0
   45: (79) r1 = *(u64 *)(r8 +128)          ; unix_peer(sk)
   46: (15) if r1 == 0x0 goto pc+3
   47: (72) *(u8 *)(r10 -147) = 1
   48: (79) r1 = *(u64 *)(r1 +136)          ; peer->sk_ino
   49: (63) *(u32 *)(r10 -140) = r1
   50: (79) r9 = *(u64 *)(r8 +120)          ; unix_sk(sk)->addr
   51: (15) if r9 == 0x0 goto pc+13
   52: (72) *(u8 *)(r10 -148) = 1
   53: (61) r2 = *(u32 *)(r9 +144)          ; addr->len
   54: (b5) if r2 <= 0x6e goto pc+1
   55: (b7) r2 = 110
   56: (35) if r2 >= 0x2 goto pc+1
   57: (b7) r2 = 2
   58: (17) r2 -= 2
   59: (73) *(u8 *)(r10 -146) = r2
   60: (bf) r1 = r10
   61: (07) r1 += -112
   62: (bf) r3 = r9
   63: (07) r3 += 154
   64: (85) call bpf_probe_read_kernel#302  ; record.name = sun_path
   65: (71) r3 = *(u8 *)(r10 -151)          ; record.state
   66: (55) if r3 != 0xa goto pc+5
   67: (61) r1 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   68: (63) *(u32 *)(r10 -136) = r1
   69: (61) r1 = *(u32 *)(r8 +80)           ; sk_max_ack_backlog
   70: (63) *(u32 *)(r10 -132) = r1
   71: (05) goto pc+26
   72: (61) r1 = *(u32 *)(r8 +104)          ; sk_wmem_alloc
   73: (14) w1 -= 1
   74: (63) *(u32 *)(r10 -132) = r1
   75: (69) r4 = *(u16 *)(r10 -150)         ; record.type
   76: (55) if r4 != 0x1 goto pc+3
   77: (61) r1 = *(u32 *)(r8 +112)          ; inq_len
   78: (63) *(u32 *)(r10 -136) = r1
   79: (05) goto pc+18
   80: (61) r2 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   81: (15) if r2 == 0x0 goto pc+16         ; nothing queued
   82: (79) r1 = *(u64 *)(r8 +96)           ; sk_receive_queue.next
   83: (55) if r4 != 0x2 goto pc+3
   84: (61) r1 = *(u32 *)(r1 +176)          ; skb->len
   85: (63) *(u32 *)(r10 -136) = r1
   86: (05) goto pc+11
   87: (b7) r3 = 0
   88: (b7) r4 = 256
   89: (61) r5 = *(u32 *)(r1 +176)          ; skb->len
   90: (0c) w3 += w5
   91: (17) r2 -= 1
   92: (15) if r2 == 0x0 goto pc+4
   93: (17) r4 -= 1
   94: (15) if r4 == 0x0 goto pc+2
   95: (79) r1 = *(u64 *)(r1 +168)          ; skb->next
   96: (55) if r1 != 0x0 goto pc-8
   97: (63) *(u32 *)(r10 -136) = r3
   98: (bf) r1 = r7
   99: (bf) r2 = r10
  100: (07) r2 += -152
  101: (71) r3 = *(u8 *)(r10 -146)          ; record.name_len
  102: (b5) if r3 <= 0x6c goto pc+1         ; bound for the verifier
  103: (b7) r3 = 108
  104: (07) r3 += 40
  105: (85) call bpf_seq_write#301          ; write the record
  106: (b4) w0 = 0
  107: (95) exit
