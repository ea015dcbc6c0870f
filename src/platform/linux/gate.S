/* gate.S: the one host `syscall` instruction of husk, and the few entry/exit stubs that must be
 * written in assembly. The seccomp filter allows host syscalls only when they come from the
 * instruction at husk_gate_insn; every other syscall instruction in the process traps. */

        .text

/* long host_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
        .globl  host_syscall6
        .hidden host_syscall6
        .type   host_syscall6, @function
host_syscall6:
        mov     %rdi, %rax
        mov     %rsi, %rdi
        mov     %rdx, %rsi
        mov     %rcx, %rdx
        mov     %r8, %r10
        mov     %r9, %r8
        mov     8(%rsp), %r9
        .globl  husk_gate_insn
        .hidden husk_gate_insn
husk_gate_insn:
        syscall
        .globl  husk_gate_end
        .hidden husk_gate_end
husk_gate_end:
        ret
        .size   host_syscall6, .-host_syscall6

/* Signal return for husk's own host handlers: rt_sigreturn must also come from the gate. */
        .globl  host_sigreturn
        .hidden host_sigreturn
        .type   host_sigreturn, @function
host_sigreturn:
        mov     $15, %eax
        jmp     husk_gate_insn
        .size   host_sigreturn, .-host_sigreturn

/* Process entry: the kernel leaves argc at (%rsp). Align and hand the pointer to C. */
        .globl  _start
        .type   _start, @function
_start:
        xor     %ebp, %ebp
        mov     %rsp, %rdi
        and     $-16, %rsp
        call    plat_start
        ud2
        .size   _start, .-_start

/* _Noreturn void guest_jump(uptr rip, uptr rsp): first entry into guest code with every
 * general register zeroed, as the Linux kernel does at exec (rdx=0: no atexit function). */
        .globl  guest_jump
        .hidden guest_jump
        .type   guest_jump, @function
guest_jump:
        mov     %rsi, %rsp
        push    %rdi
        xor     %eax, %eax
        xor     %ebx, %ebx
        xor     %ecx, %ecx
        xor     %edx, %edx
        xor     %esi, %esi
        xor     %edi, %edi
        xor     %ebp, %ebp
        xor     %r8d, %r8d
        xor     %r9d, %r9d
        xor     %r10d, %r10d
        xor     %r11d, %r11d
        xor     %r12d, %r12d
        xor     %r13d, %r13d
        xor     %r14d, %r14d
        xor     %r15d, %r15d
        ret
        .size   guest_jump, .-guest_jump

/* _Noreturn void guest_resume(const struct cpu_regs *r): enters guest code with every general
 * register, the flags, rsp and rip taken from r (struct cpu_regs in platform.h). rip is pushed
 * just below the guest's rsp, so this is only for a fresh stack (a new thread's). */
        .globl  guest_resume
        .hidden guest_resume
        .type   guest_resume, @function
guest_resume:
        mov     120(%rdi), %rsp
        push    128(%rdi)
        push    136(%rdi)
        popfq
        mov     0(%rdi), %r8
        mov     8(%rdi), %r9
        mov     16(%rdi), %r10
        mov     24(%rdi), %r11
        mov     32(%rdi), %r12
        mov     40(%rdi), %r13
        mov     48(%rdi), %r14
        mov     56(%rdi), %r15
        mov     72(%rdi), %rsi
        mov     80(%rdi), %rbp
        mov     88(%rdi), %rbx
        mov     96(%rdi), %rdx
        mov     104(%rdi), %rax
        mov     112(%rdi), %rcx
        mov     64(%rdi), %rdi
        ret
        .size   guest_resume, .-guest_resume

/* Where a new host thread starts: the clone through the gate returned 0 on the new stack,
 * whose top holds this address and then the argument for plat_thread_main. */
        .globl  thread_trampoline
        .hidden thread_trampoline
        .type   thread_trampoline, @function
thread_trampoline:
        pop     %rdi
        and     $-16, %rsp
        call    plat_thread_main
        ud2
        .size   thread_trampoline, .-thread_trampoline

/* long guest_copy(void *dst, const void *src, size_t n): memcpy that may fault on either side.
 * On a fault the SIGSEGV handler moves rip to guest_copy_fault, which returns -EFAULT. */
        .globl  guest_copy
        .hidden guest_copy
        .type   guest_copy, @function
guest_copy:
        .globl  guest_copy_begin
        .hidden guest_copy_begin
guest_copy_begin:
        mov     %rdx, %rcx
        rep movsb
        xor     %eax, %eax
        ret
        .globl  guest_copy_end
        .hidden guest_copy_end
guest_copy_end:
        .globl  guest_copy_fault
        .hidden guest_copy_fault
guest_copy_fault:
        mov     $-14, %rax
        ret
        .size   guest_copy, .-guest_copy

/* long guest_strcpy(char *dst, const char *src, size_t max): copies up to max bytes, stopping
 * after a NUL; returns the length without the NUL, max if none was found, or -EFAULT. */
        .globl  guest_strcpy
        .hidden guest_strcpy
        .type   guest_strcpy, @function
guest_strcpy:
        .globl  guest_strcpy_begin
        .hidden guest_strcpy_begin
guest_strcpy_begin:
        xor     %eax, %eax
1:      cmp     %rdx, %rax
        je      2f
        movb    (%rsi,%rax), %cl
        movb    %cl, (%rdi,%rax)
        test    %cl, %cl
        je      2f
        inc     %rax
        jmp     1b
2:      ret
        .globl  guest_strcpy_end
        .hidden guest_strcpy_end
guest_strcpy_end:
        mov     $-14, %rax
        ret
        .size   guest_strcpy, .-guest_strcpy

/* long guest_cas32(u32 *addr, u32 *expected, u32 desired): lock cmpxchg on guest memory.
 * Returns 0 when swapped, 1 when *addr differed (*expected gets its value), -EFAULT on a
 * fault (fixed up like the copies). */
        .globl  guest_cas32
        .hidden guest_cas32
        .type   guest_cas32, @function
guest_cas32:
        mov     (%rsi), %eax
        .globl  guest_cas32_begin
        .hidden guest_cas32_begin
guest_cas32_begin:
        lock cmpxchg %edx, (%rdi)
        .globl  guest_cas32_end
        .hidden guest_cas32_end
guest_cas32_end:
        jne     1f
        xor     %eax, %eax
        ret
1:      mov     %eax, (%rsi)
        mov     $1, %eax
        ret
        .globl  guest_cas32_fault
        .hidden guest_cas32_fault
guest_cas32_fault:
        mov     $-14, %rax
        ret
        .size   guest_cas32, .-guest_cas32

/* long guest_clear(void *dst, size_t n) */
        .globl  guest_clear
        .hidden guest_clear
        .type   guest_clear, @function
guest_clear:
        .globl  guest_clear_begin
        .hidden guest_clear_begin
guest_clear_begin:
        mov     %rsi, %rcx
        xor     %eax, %eax
        rep stosb
        ret
        .globl  guest_clear_end
        .hidden guest_clear_end
guest_clear_end:
        mov     $-14, %rax
        ret
        .size   guest_clear, .-guest_clear

        .section .note.GNU-stack,"",@progbits
