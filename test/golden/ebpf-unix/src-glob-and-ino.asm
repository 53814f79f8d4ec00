    0: (bf) r6 = r1                         ; ctx
    1: (79) r8 = *(u64 *)(r6 +8)            ; ctx->unix_sk
    2: (15) if r8 == 0x0 goto pc+100        ; end of the walk
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
   30: (71) r1 = *(u8 *)(r8 +56)            ; sk_shutdown
   31: (73) *(u8 *)(r10 -145) = r1
   32: (61) r1 = *(u32 *)(r6 +16)           ; ctx->uid
   33: (63) *(u32 *)(r10 -128) = r1
   34: (79) r1 = *(u64 *)(r8 +64)           ; sk_ino
   35: (15) if r1 == 0x0 goto pc+67         ; no inode: unix_diag skips it
   36: (63) *(u32 *)(r10 -144) = r1
   37: (bf) r1 = r8
   38: (85) call bpf_get_socket_cookie#303
   39: (7b) *(u64 *)(r10 -120) = r0
   40: (79) r1 = *(u64 *)(r8 +128)          ; unix_peer(sk)
   41: (15) if r1 == 0x0 goto pc+3
   42: (72) *(u8 *)(r10 -147) = 1
   43: (79) r1 = *(u64 *)(r1 +136)          ; peer->sk_ino
   44: (63) *(u32 *)(r10 -140) = r1
   45: (79) r9 = *(u64 *)(r8 +120)          ; unix_sk(sk)->addr
   46: (15) if r9 == 0x0 goto pc+13
   47: (72) *(u8 *)(r10 -148) = 1
   48: (61) r2 = *(u32 *)(r9 +144)          ; addr->len
   49: (b5) if r2 <= 0x6e goto pc+1
   50: (b7) r2 = 110
   51: (35) if r2 >= 0x2 goto pc+1
   52: (b7) r2 = 2
   53: (17) r2 -= 2
   54: (73) *(u8 *)(r10 -146) = r2
   55: (bf) r1 = r10
   56: (07) r1 += -112
   57: (bf) r3 = r9
   58: (07) r3 += 154
   59: (85) call bpf_probe_read_kernel#302  ; record.name = sun_path
   60: (71) r3 = *(u8 *)(r10 -151)          ; record.state
   61: (55) if r3 != 0xa goto pc+5
   62: (61) r1 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   63: (63) *(u32 *)(r10 -136) = r1
   64: (61) r1 = *(u32 *)(r8 +80)           ; sk_max_ack_backlog
   65: (63) *(u32 *)(r10 -132) = r1
   66: (05) goto pc+26
   67: (61) r1 = *(u32 *)(r8 +104)          ; sk_wmem_alloc
   68: (14) w1 -= 1
   69: (63) *(u32 *)(r10 -132) = r1
   70: (69) r4 = *(u16 *)(r10 -150)         ; record.type
   71: (55) if r4 != 0x1 goto pc+3
   72: (61) r1 = *(u32 *)(r8 +112)          ; inq_len
   73: (63) *(u32 *)(r10 -136) = r1
   74: (05) goto pc+18
   75: (61) r2 = *(u32 *)(r8 +88)           ; sk_receive_queue.qlen
   76: (15) if r2 == 0x0 goto pc+16         ; nothing queued
   77: (79) r1 = *(u64 *)(r8 +96)           ; sk_receive_queue.next
   78: (55) if r4 != 0x2 goto pc+3
   79: (61) r1 = *(u32 *)(r1 +176)          ; skb->len
   80: (63) *(u32 *)(r10 -136) = r1
   81: (05) goto pc+11
   82: (b7) r3 = 0
   83: (b7) r4 = 256
   84: (61) r5 = *(u32 *)(r1 +176)          ; skb->len
   85: (0c) w3 += w5
   86: (17) r2 -= 1
   87: (15) if r2 == 0x0 goto pc+4
   88: (17) r4 -= 1
   89: (15) if r4 == 0x0 goto pc+2
   90: (79) r1 = *(u64 *)(r1 +168)          ; skb->next
   91: (55) if r1 != 0x0 goto pc-8
   92: (63) *(u32 *)(r10 -136) = r3
   93: (61) r1 = *(u32 *)(r10 -144)         ; record.inode  sport >= 
   94: (a5) if r1 < 0x3e8 goto pc+8         ; sport >= 
   95: (bf) r1 = r7
   96: (bf) r2 = r10
   97: (07) r2 += -152
   98: (71) r3 = *(u8 *)(r10 -146)          ; record.name_len
   99: (b5) if r3 <= 0x6c goto pc+1         ; bound for the verifier
  100: (b7) r3 = 108
  101: (07) r3 += 40
  102: (85) call bpf_seq_write#301          ; write the record
  103: (b4) w0 = 0
  104: (95) exit
